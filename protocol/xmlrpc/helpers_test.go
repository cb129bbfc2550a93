package xmlrpc

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"time"
)

// normalize turns a value as the encoder takes it into the value the parser
// gives back for its encoding.
func normalize(v any) any {
	switch v := v.(type) {
	case int8, int16, int32, int64:
		return int(reflect.ValueOf(v).Int())
	case uint, uint8, uint16, uint32, uint64:
		return int(reflect.ValueOf(v).Uint())
	case float32:
		return float64(v)
	case time.Time:
		y, mo, d := v.Date()
		h, mi, s := v.Clock()
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	case []string:
		a := []any{}
		for _, e := range v {
			a = append(a, e)
		}
		return a
	case []Struct:
		a := []any{}
		for _, e := range v {
			a = append(a, normalize(e))
		}
		return a
	case []any:
		a := []any{}
		for _, e := range v {
			a = append(a, normalize(e))
		}
		return a
	case Struct:
		m := map[string]any{}
		for _, e := range v {
			m[e.Name] = normalize(e.Value)
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, e := range v {
			m[k] = normalize(e)
		}
		return m
	}
	return v
}

// equal compares parsed values, with NaN equal to itself and -0 unequal
// to 0.
func equal(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && (math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b))
	case time.Time:
		b, ok := b.(time.Time)
		return ok && a.Equal(b)
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b)
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case nil, bool, int, string:
		return a == b
	}
	panic(fmt.Sprintf("equal: unexpected type %T", a))
}

// processInfo is shaped like Supervisor's getProcessInfo result.
func processInfo(name string, pid int) Struct {
	return Struct{
		{"name", name}, {"group", name}, {"description", fmt.Sprintf("pid %d, uptime 0:01:02", pid)},
		{"start", 1700000000}, {"stop", 0}, {"now", 1700000062}, {"state", 20},
		{"statename", "RUNNING"}, {"spawnerr", ""}, {"exitstatus", 0},
		{"logfile", "/var/log/" + name + ".log"}, {"stdout_logfile", "/var/log/" + name + ".log"},
		{"stderr_logfile", ""}, {"pid", pid},
	}
}

// nested alternates structs and arrays depth times around a string.
func nested(depth int) any {
	var v any = "leaf"
	for i := range depth {
		if i%2 == 1 {
			v = []any{v, i}
		} else {
			v = Struct{{"k", v}, {"i", i}}
		}
	}
	return v
}

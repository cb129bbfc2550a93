package xmlrpc

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// header is what Python writes for UTF-8, its default encoding.
const header = "<?xml version='1.0'?>\n"

// EncodeCall returns a <methodCall> of method with params.
func EncodeCall(method string, params ...any) []byte {
	b := make([]byte, 0, 1024)
	b = append(b, header+"<methodCall>\n<methodName>"...)
	b = appendText(b, method)
	b = append(b, "</methodName>\n<params>\n"...)
	for _, p := range params {
		b = append(b, "<param>\n"...)
		b = appendValue(b, p, 0)
		b = append(b, "</param>\n"...)
	}
	return append(b, "</params>\n</methodCall>\n"...)
}

// EncodeResponse returns a <methodResponse> carrying v as its one param.
func EncodeResponse(v any) []byte {
	b := make([]byte, 0, 1024)
	b = append(b, header+"<methodResponse>\n<params>\n<param>\n"...)
	b = appendValue(b, v, 0)
	return append(b, "</param>\n</params>\n</methodResponse>\n"...)
}

// EncodeFault returns a fault <methodResponse>.
func EncodeFault(code int, msg string) []byte {
	b := make([]byte, 0, 1024+len(msg))
	b = append(b, header+"<methodResponse>\n<fault>\n"...)
	b = appendValue(b, Struct{{"faultCode", code}, {"faultString", msg}}, 0)
	return append(b, "</fault>\n</methodResponse>\n"...)
}

func appendValue(b []byte, v any, depth int) []byte {
	if cap(b)-len(b) < 512 {
		// Double ahead of need: append alone grows big slices by only 1.25x,
		// and copying then dominates encoding a large response.
		b = slices.Grow(b, cap(b))
	}
	switch v := v.(type) {
	case nil:
		return append(b, "<value><nil/></value>"...)
	case bool:
		if v {
			return append(b, "<value><boolean>1</boolean></value>\n"...)
		}
		return append(b, "<value><boolean>0</boolean></value>\n"...)
	case int:
		return appendInt(b, int64(v))
	case int8:
		return appendInt(b, int64(v))
	case int16:
		return appendInt(b, int64(v))
	case int32:
		return appendInt(b, int64(v))
	case int64:
		return appendInt(b, v)
	case uint:
		return appendUint(b, uint64(v))
	case uint8:
		return appendUint(b, uint64(v))
	case uint16:
		return appendUint(b, uint64(v))
	case uint32:
		return appendUint(b, uint64(v))
	case uint64:
		return appendUint(b, v)
	case float32:
		return appendDouble(b, float64(v))
	case float64:
		return appendDouble(b, v)
	case string:
		return appendString(b, v)
	case []byte:
		return appendBase64(b, v)
	case time.Time:
		return appendTime(b, v)
	case []any:
		b = openArray(b, depth)
		for _, e := range v {
			b = appendValue(b, e, depth+1)
		}
		return closeArray(b)
	case []string:
		b = openArray(b, depth)
		for _, e := range v {
			b = appendString(b, e)
		}
		return closeArray(b)
	case []Struct:
		b = openArray(b, depth)
		for _, e := range v {
			b = appendStruct(b, e, depth+1) // boxing e to call appendValue would allocate
		}
		return closeArray(b)
	case Struct:
		return appendStruct(b, v, depth)
	case map[string]any:
		b = openStruct(b, depth)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendMember(b, k, v[k], depth)
		}
		return closeStruct(b)
	}
	panic(fmt.Sprintf("xmlrpc: cannot encode a value of type %T", v))
}

func appendString(b []byte, s string) []byte {
	b = append(b, "<value><string>"...)
	b = appendText(b, s)
	return append(b, "</string></value>\n"...)
}

func appendStruct(b []byte, s Struct, depth int) []byte {
	b = openStruct(b, depth)
	for _, m := range s {
		b = appendMember(b, m.Name, m.Value, depth)
	}
	return closeStruct(b)
}

func appendInt(b []byte, i int64) []byte {
	b = append(b, "<value><int>"...)
	b = strconv.AppendInt(b, i, 10)
	return append(b, "</int></value>\n"...)
}

func appendUint(b []byte, u uint64) []byte {
	b = append(b, "<value><int>"...)
	b = strconv.AppendUint(b, u, 10)
	return append(b, "</int></value>\n"...)
}

func appendDouble(b []byte, f float64) []byte {
	b = append(b, "<value><double>"...)
	b = appendFloatRepr(b, f)
	return append(b, "</double></value>\n"...)
}

func appendTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		panic(fmt.Sprintf("xmlrpc: cannot encode year %d", y))
	}
	b = append(b, "<value><dateTime.iso8601>"...)
	b = t.AppendFormat(b, timeLayout)
	return append(b, "</dateTime.iso8601></value>\n"...)
}

func openArray(b []byte, depth int) []byte {
	checkDepth(depth)
	return append(b, "<value><array><data>\n"...)
}

func closeArray(b []byte) []byte {
	return append(b, "</data></array></value>\n"...)
}

func openStruct(b []byte, depth int) []byte {
	checkDepth(depth)
	return append(b, "<value><struct>\n"...)
}

func closeStruct(b []byte) []byte {
	return append(b, "</struct></value>\n"...)
}

func appendMember(b []byte, name string, v any, depth int) []byte {
	b = append(b, "<member>\n<name>"...)
	b = appendText(b, name)
	b = append(b, "</name>\n"...)
	b = appendValue(b, v, depth+1)
	return append(b, "</member>\n"...)
}

// checkDepth refuses what the parser would refuse; a cycle ends here too.
func checkDepth(depth int) {
	if depth >= maxDepth {
		panic(fmt.Sprintf("xmlrpc: cannot encode arrays or structs nested more than %d deep", maxDepth))
	}
}

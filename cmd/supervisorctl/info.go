package main

import (
	"fmt"
	"strconv"
)

// procInfo is one struct of getProcessInfo, getAllProcessInfo or
// getAllConfigInfo.
type procInfo map[string]any

func (p procInfo) str(key string) string { return pyStr(p[key]) }

func (p procInfo) num(key string) int {
	n, _ := p[key].(int)
	return n
}

// pyStr is Python's str() of an XML-RPC value, for the kinds that the
// daemon sends.
func pyStr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case bool:
		if v {
			return "True"
		}
		return "False"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// infos reads a list of structs.
func infos(v any) []procInfo {
	list, _ := v.([]any)
	out := make([]procInfo, 0, len(list))
	for _, item := range list {
		m, _ := item.(map[string]any)
		out = append(out, procInfo(m))
	}
	return out
}

// makeNamespec is how processes are named to the user: "name" when it is
// its group's only process of the same name, "group:name" otherwise.
func makeNamespec(group, name string) string {
	if group == name {
		return name
	}
	return group + ":" + name
}

// splitNamespec splits "group:name"; "group:" and "group:*" name the whole
// group (hasName false), and a plain "name" is both group and process.
func splitNamespec(spec string) (group, name string, hasName bool) {
	for i := 0; i < len(spec); i++ {
		if spec[i] == ':' {
			group, name = spec[:i], spec[i+1:]
			if name == "" || name == "*" {
				return group, "", false
			}
			return group, name, true
		}
	}
	return spec, spec, true
}

// pyNamespec is makeNamespec where a missing process name shows as
// Python's None, as it does in clear's messages for "group:*".
func pyNamespec(group, name string, hasName bool) string {
	if !hasName {
		name = "None"
	}
	return makeNamespec(group, name)
}

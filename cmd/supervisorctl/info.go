package main

import (
	"fmt"
	"strconv"

	"supervisord/conf"
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

// namespec is how the process is named to the user.
func (p procInfo) namespec() string { return conf.Namespec(p.str("group"), p.str("name")) }

// pyNamespec is conf.Namespec where a whole group's missing process name
// shows as Python's None, as it does in clear's messages for "group:*".
func pyNamespec(group, process string) string {
	if process == "" {
		process = "None"
	}
	return conf.Namespec(group, process)
}

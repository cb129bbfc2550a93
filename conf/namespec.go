package conf

import "strings"

// A namespec names a process or a whole group in XML-RPC calls and
// commands, as the reference's split_namespec and make_namespec read and
// write them: "name" is the process name of the group name (the usual
// one-process program), "group:name" is process name of group, and
// "group:" or "group:*" is every process of group.

// SplitNamespec reads a namespec. process is "" when spec names the whole
// group ("group:" or "group:*"); a spec without a colon is both the group
// and the process name. Only the first colon splits: "a:b:c" is process
// "b:c" of group "a".
func SplitNamespec(spec string) (group, process string) {
	group, process, ok := strings.Cut(spec, ":")
	if !ok {
		return spec, spec
	}
	if process == "*" {
		process = ""
	}
	return group, process
}

// Namespec is how a process is named to the user and in calls: "name"
// when it is alone in a group of the same name, "group:name" otherwise.
func Namespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}

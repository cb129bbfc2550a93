package conf

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestParseRlimit(t *testing.T) {
	nofile := rlimitOptions[syscall.RLIMIT_NOFILE]
	core := rlimitOptions[syscall.RLIMIT_CORE]
	inf := RlimInfinity
	tests := []struct {
		o       rlimitOption
		in      string
		want    Rlimit
		wantErr string
	}{
		{nofile, "1024", Rlimit{syscall.RLIMIT_NOFILE, 1024, 1024}, ""},
		{nofile, " 123 : 456 ", Rlimit{syscall.RLIMIT_NOFILE, 123, 456}, ""},
		{nofile, "0", Rlimit{syscall.RLIMIT_NOFILE, 0, 0}, ""},
		{nofile, "infinity", Rlimit{syscall.RLIMIT_NOFILE, inf, inf}, ""},
		{nofile, "1024:Unlimited", Rlimit{syscall.RLIMIT_NOFILE, 1024, inf}, ""},
		{nofile, "INFINITY:unlimited", Rlimit{syscall.RLIMIT_NOFILE, inf, inf}, ""},
		{nofile, "456:123", Rlimit{}, "invalid rlimit_nofile value '456:123': the soft limit is above the hard limit"},
		{nofile, "infinity:10", Rlimit{}, "the soft limit is above the hard limit"},
		{nofile, "1KB", Rlimit{}, "invalid rlimit_nofile value '1KB': '1KB' is not a whole number, infinity or unlimited"},
		{nofile, "-1", Rlimit{}, "'-1' is not a whole number"},
		{nofile, "", Rlimit{}, "expected N or SOFT:HARD"},
		{nofile, "1:", Rlimit{}, "expected N or SOFT:HARD"},
		{nofile, "1:2:3", Rlimit{}, "'2:3' is not a whole number"},
		{nofile, "many", Rlimit{}, "'many' is not a whole number"},
		{core, "0:unlimited", Rlimit{syscall.RLIMIT_CORE, 0, inf}, ""},
		{core, "1MB:1gb", Rlimit{syscall.RLIMIT_CORE, 1 << 20, 1 << 30}, ""},
		{core, "512kb", Rlimit{syscall.RLIMIT_CORE, 512 << 10, 512 << 10}, ""},
		{core, "2GB:1GB", Rlimit{}, "the soft limit is above the hard limit"},
		{core, "1TB", Rlimit{}, "'1TB' is not a size in bytes (KB, MB or GB allowed), infinity or unlimited"},
		{core, "-1MB", Rlimit{}, "is not a size in bytes"},
	}
	for _, tt := range tests {
		got, err := parseRlimit(tt.o, tt.in)
		checkParse(t, "parseRlimit", tt.o.name+"="+tt.in, got, err, tt.want, tt.wantErr)
	}
}

// TestRlimitOptions checks the table is setrlimit's whole set, in the
// kernel's order, so an option's index is its resource.
func TestRlimitOptions(t *testing.T) {
	if len(rlimitOptions) != 16 {
		t.Fatalf("%d options, want the kernel's 16", len(rlimitOptions))
	}
	for i, o := range rlimitOptions {
		if o.resource != i {
			t.Errorf("%s has resource %d at index %d", o.name, o.resource, i)
		}
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(o.resource, &lim); err != nil {
			t.Errorf("%s: getrlimit(%d): %v", o.name, o.resource, err)
		}
		if RlimitName(o.resource) != o.name {
			t.Errorf("RlimitName(%d) = %q, want %q", o.resource, RlimitName(o.resource), o.name)
		}
	}
	if RlimitName(99) != "rlimit_99" {
		t.Errorf("RlimitName(99) = %q", RlimitName(99))
	}
}

func TestParseEnvFile(t *testing.T) {
	type env = []EnvVar
	tests := []struct {
		name, in string
		want     env
		wantErr  string
	}{
		{"empty", "", nil, ""},
		{"plain", "A=1\nB=two\n", env{{"A", "1"}, {"B", "two"}}, ""},
		{"no final newline", "A=1", env{{"A", "1"}}, ""},
		{"crlf", "A=1\r\nB=2\r\n", env{{"A", "1"}, {"B", "2"}}, ""},
		{"comments and blanks", "# c\n; c\n\n   \n  # indented\nA=1 # not a comment\n", env{{"A", "1 # not a comment"}}, ""},
		{"blanks around", "  A  =   spaced value \t \n", env{{"A", "spaced value"}}, ""},
		{"empty value", "A=\nB=   \n", env{{"A", ""}, {"B", ""}}, ""},
		{"empty value at end", "A=", env{{"A", ""}}, ""},
		{"no equals ignored", "JUNK\nA=1\n", env{{"A", "1"}}, ""},
		{"later wins in place", "A=1\nB=2\nA=3\n", env{{"A", "3"}, {"B", "2"}}, ""},
		{"value with equals", "URL=http://x/?a=b\n", env{{"URL", "http://x/?a=b"}}, ""},
		{"single quotes", "A='  x \\n \"y\" '\n", env{{"A", `  x \n "y" `}}, ""},
		{"single quotes span lines", "A='one\ntwo'\nB=3\n", env{{"A", "one\ntwo"}, {"B", "3"}}, ""},
		{"double quotes", `A="  a \"b\" \\ \$c \` + "`d\\` \\n\"\n", env{{"A", "  a \"b\" \\ $c `d` \\n"}}, ""},
		{"double quote continuation", "A=\"one\\\ntwo\"\n", env{{"A", "onetwo"}}, ""},
		{"double quotes span lines", "A=\"one\ntwo\"\n", env{{"A", "one\ntwo"}}, ""},
		{"unquoted escapes", `A=a\ b\\c\"d` + "\n", env{{"A", `a b\c"d`}}, ""},
		{"unquoted continuation", "A=one \\\n  two\n", env{{"A", "one   two"}}, ""},
		{"escaped trailing blank kept", "A=x\\ \n", env{{"A", "x "}}, ""},
		{"quotes inside unquoted kept", `A=it's "so"` + "\n", env{{"A", `it's "so"`}}, ""},
		{"quoted parts join", `A="a b"'c d'e` + "\n", env{{"A", "a bc de"}}, ""},
		{"blanks between quoted parts dropped", `A="a"   "b"` + "\n", env{{"A", "ab"}}, ""},
		{"blanks after quotes dropped", "A=\" x \"   \n", env{{"A", " x "}}, ""},
		{"unclosed quote runs to the end", "A=\"abc\nB=1", env{{"A", "abc\nB=1"}}, ""},
		{"comment backslash does not continue", "# c \\\nA=1\n", env{{"A", "1"}}, ""},
		{"export is not special", "export A=1\nB=2\n", env{{"B", "2"}}, ""},
		{"invalid names ignored", "1A=x\nA-B=y\n=z\nA.B=w\n_ok9=v\n", env{{"_ok9", "v"}}, ""},
		{"key blanks inside", "A B=1\n", nil, ""},
		{"key newline drops line", "A\n=1\n", nil, ""},
		{"utf-8 value", "A=héllo\n", env{{"A", "héllo"}}, ""},
		{"bad utf-8 value", "A=ok\nB=\xff\n", nil, "line 2: invalid UTF-8 in the value of B"},
		{"bad utf-8 key", "\xffA=1\n", nil, "line 1: invalid UTF-8 in key"},
		{"nul byte", "A=1\x00\n", nil, "NUL byte"},
	}
	for _, tt := range tests {
		got, err := ParseEnvFile([]byte(tt.in))
		checkParse(t, "ParseEnvFile", tt.name+": "+tt.in, got, err, tt.want, tt.wantErr)
	}
}

// TestParseEnvFileShell checks, where systemd's rules and the shell's
// agree (quoted values, plain words), that sh reads the same values.
func TestParseEnvFileShell(t *testing.T) {
	const text = "A='x  y'\nB=\"a \\\"q\\\" \\$HOME \\\\ \\z\"\nC=plain\nD=\"multi\nline\"\nE=one\\ two\n"
	vars, err := ParseEnvFile([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	out, err := execShell(text + `printf '%s\0' "$A" "$B" "$C" "$D" "$E"`)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	if len(got) != len(vars) {
		t.Fatalf("sh gave %q, we gave %q", got, vars)
	}
	for i, kv := range vars {
		if kv.Value != got[i] {
			t.Errorf("%s: we read %q, sh reads %q", kv.Key, kv.Value, got[i])
		}
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{
		"A=1\n", "A='x\ny'\n", "A=\"a\\\"b\\\nc\"\n", "# c\\\nA=b\\ c \n", "export A=1",
		" A = b ;c\r\n", "A=\"", "A='", "A=\\", "=\n", "A=\xff", "A=\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseEnvFile(data)
		if err != nil {
			if vars != nil {
				t.Fatalf("vars %q with error %v", vars, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, kv := range vars {
			if !envNameValid(kv.Key) || seen[kv.Key] {
				t.Fatalf("bad or repeated key %q in %q", kv.Key, vars)
			}
			seen[kv.Key] = true
			if strings.ContainsRune(kv.Value, 0) {
				t.Fatalf("NUL in value %q", kv.Value)
			}
		}
		// Writing the values back single-quoted (' as '"'"') reads the
		// same: values round-trip.
		var b strings.Builder
		for _, kv := range vars {
			b.WriteString(kv.Key + "='" + strings.ReplaceAll(kv.Value, "'", `'"'"'`) + "'\n")
		}
		again, err := ParseEnvFile([]byte(b.String()))
		if err != nil || !reflect.DeepEqual(again, vars) {
			t.Fatalf("round trip of %q: %q, %v", vars, again, err)
		}
	})
}

func TestReadEnvFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.env", "A=1\nB=a\n")
	b := write("b.env", "B=b\nC=3\n")
	bad := write("bad.env", "A=\xff\n")
	missing := filepath.Join(dir, "missing.env")
	tests := []struct {
		name    string
		files   []EnvFile
		want    []EnvVar
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"later file wins", []EnvFile{{a, false}, {b, false}}, []EnvVar{{"A", "1"}, {"B", "b"}, {"C", "3"}}, ""},
		{"optional missing skipped", []EnvFile{{missing, true}, {a, false}}, []EnvVar{{"A", "1"}, {"B", "a"}}, ""},
		{"optional bad skipped", []EnvFile{{a, false}, {bad, true}}, []EnvVar{{"A", "1"}, {"B", "a"}}, ""},
		{"required missing", []EnvFile{{a, false}, {missing, false}}, nil,
			"couldn't read environment_file " + missing + ": no such file or directory"},
		{"required bad", []EnvFile{{bad, false}}, nil,
			"couldn't read environment_file " + bad + ": line 1: invalid UTF-8 in the value of A"},
		{"required directory", []EnvFile{{dir, false}}, nil,
			"couldn't read environment_file " + dir + ": is a directory"},
	}
	for _, tt := range tests {
		got, err := ReadEnvFiles(tt.files)
		checkParse(t, "ReadEnvFiles", tt.name, got, err, tt.want, tt.wantErr)
	}
}

func TestParseEnvFiles(t *testing.T) {
	tests := []struct {
		in      string
		want    []EnvFile
		wantErr string
	}{
		{"", nil, ""},
		{"  ", nil, ""},
		{"/etc/a.env", []EnvFile{{"/etc/a.env", false}}, ""},
		{"/etc/a.env, -/etc/b.env ,- /x/../c.env", []EnvFile{{"/etc/a.env", false}, {"/etc/b.env", true}, {"/c.env", true}}, ""},
		{"a.env,-sub/b.env", []EnvFile{{"/conf/a.env", false}, {"/conf/sub/b.env", true}}, ""},
		{"/a,,/b", nil, "empty entry in environment_file list"},
		{"-", nil, "empty entry in environment_file list"},
	}
	for _, tt := range tests {
		got, err := parseEnvFiles("/conf")(tt.in)
		checkParse(t, "parseEnvFiles", tt.in, got, err, tt.want, tt.wantErr)
	}
}

// TestDiffLimits checks that editing an rlimit or environment_file option
// changes the program.
func TestDiffLimits(t *testing.T) {
	for _, tt := range []struct{ opt, old, new string }{
		{"rlimit_nofile", "100", "100:200"},
		{"rlimit_core", "0", "unlimited"},
		{"environment_file", "/a.env", "-/a.env"},
		{"environment_file", "/a.env", "/a.env,/b.env"},
	} {
		text := func(v string) string {
			return "[program:web]\ncommand=/bin/true\nrlimit_nproc=50\n" + tt.opt + "=" + v + "\n"
		}
		old := parseText(t, text(tt.old))
		if _, changed, _ := Diff(old, parseText(t, text(tt.old))); changed != nil {
			t.Fatalf("%s: the same config changed %q", tt.opt, changed)
		}
		if _, changed, _ := Diff(old, parseText(t, text(tt.new))); !reflect.DeepEqual(changed, []string{"web"}) {
			t.Errorf("%s=%s -> %s: changed = %q, want [web]", tt.opt, tt.old, tt.new, changed)
		}
	}
}

// execShell runs script with sh and returns its output.
func execShell(script string) (string, error) {
	out, err := exec.Command("/bin/sh", "-c", script).Output()
	return string(out), err
}

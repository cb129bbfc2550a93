package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"

	"supervisord/conf"
	"supervisord/internal/tlsfiles"
)

// defaultServerURL is where supervisorctl looks for the daemon when
// neither the command line nor the config says.
const defaultServerURL = "http://localhost:9001"

// optional is a string that may be absent, which is not the same as empty:
// credentials are sent only when both a username and a password are given,
// even empty ones.
type optional struct {
	val string
	set bool
}

func some(s string) optional { return optional{val: s, set: true} }

// Options is what the command line and the config's [supervisorctl]
// section say, the command line winning.
type Options struct {
	ConfigFile  string // the config read; "" when none
	Interactive bool   // -i, or no command given
	Prompt      string // without the "> " the shell adds
	ServerURL   string
	Username    optional
	Password    optional
	HistoryFile string // "" for no history file
	// TLS are the settings of an https:// server, from the section's
	// cafile=, certfile= and keyfile=; nil when it has none of them.
	TLS  *tls.Config
	Args []string
}

// helpRequested is -h: print the usage and exit 0.
var errHelp = errors.New("help requested")

// parseOptions reads args and the config they point at (or the one found
// on the search path). env is the environment behind %(ENV_X)s.
func parseOptions(args []string, env []string) (*Options, error) {
	parsed, rest, err := readArgs(args)
	if err != nil {
		return nil, err
	}
	o := &Options{Args: rest}
	var (
		configFile, serverURL, username, password, history optional
		interactive                                        bool
	)
	for _, p := range parsed {
		var slot *optional
		switch p.key {
		case "help":
			return nil, errHelp
		case "interactive":
			if interactive {
				return nil, usageErrorf("conflicting command line option %s", conf.PyRepr(p.name))
			}
			interactive = true
			continue
		case "serverurl":
			if !isURL(p.value) {
				return nil, usageErrorf("invalid value for %s %s: value %s is not a URL",
					p.name, conf.PyRepr(p.value), conf.PyRepr(p.value))
			}
			slot = &serverURL
		case "configfile":
			slot = &configFile
		case "username":
			slot = &username
		case "password":
			slot = &password
		case "history":
			slot = &history
		}
		if slot.set {
			return nil, usageErrorf("conflicting command line option %s", conf.PyRepr(p.name))
		}
		*slot = some(p.value)
	}

	// Without -c, the first config on the search path, if any: unlike the
	// daemon, supervisorctl can do without one.
	if !configFile.set {
		if path, err := conf.Search(); err == nil {
			configFile = some(path)
		}
	}
	var section *ctlSection
	if configFile.val != "" {
		o.ConfigFile = configFile.val
		if section, err = readCtlSection(configFile.val, env); err != nil {
			return nil, err
		}
	}

	o.Interactive = interactive || len(rest) == 0
	o.Prompt = "supervisor"
	o.ServerURL = defaultServerURL
	if section != nil {
		o.Prompt, o.ServerURL, o.HistoryFile = section.prompt, section.serverURL, section.historyFile
		o.Username, o.Password = section.username, section.password
		if section.tls != (tlsfiles.ClientFiles{}) {
			if o.TLS, err = tlsfiles.Client(section.tls); err != nil {
				var fe *tlsfiles.FileError
				if errors.As(err, &fe) {
					return nil, usageErrorf("%s= of [supervisorctl] in %s: %s", fe.Option, configFile.val, err)
				}
				return nil, err
			}
		}
	}
	if serverURL.set {
		o.ServerURL = serverURL.val
	}
	if username.set {
		o.Username = username
	}
	if password.set {
		o.Password = password
	}
	if history.set {
		o.HistoryFile = history.val
	}
	return o, nil
}

// ctlSection is the [supervisorctl] section with its defaults applied.
type ctlSection struct {
	serverURL, prompt, historyFile string
	username, password             optional
	tls                            tlsfiles.ClientFiles
}

// readCtlSection reads the [supervisorctl] section of the config at path;
// nothing else in the file matters to supervisorctl.
func readCtlSection(path string, env []string) (*ctlSection, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, usageErrorf("could not find config file %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("could not read config file %s", path)
	}
	ini, err := parseINI(string(data), path)
	if err != nil {
		return nil, err
	}
	if !ini.hasSection("supervisorctl") {
		return nil, usageErrorf(".ini file does not include supervisorctl section")
	}
	expansions := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			expansions["ENV_"+k] = v
		}
	}
	home := os.Getenv("HOME")
	if h, ok := expansions["ENV_HOME"]; ok {
		home = h
	}
	withHere := map[string]string{"here": filepath.Dir(normalizePath(path, home))}
	for k, v := range expansions {
		withHere[k] = v
	}
	get := func(option, def string, set bool, exp map[string]string) (optional, error) {
		v, ok := ini.get("supervisorctl", option)
		if !ok {
			if !set {
				return optional{}, nil
			}
			v = def
		}
		s, err := pyExpand(v, exp, "supervisorctl."+option)
		if err != nil {
			return optional{}, err
		}
		return some(s), nil
	}
	s := &ctlSection{}
	url, err := get("serverurl", defaultServerURL, true, withHere)
	if err != nil {
		return nil, err
	}
	s.serverURL = url.val
	if rest, ok := strings.CutPrefix(s.serverURL, "unix://"); ok {
		s.serverURL = "unix://" + normalizePath(rest, home)
	}
	prompt, err := get("prompt", "supervisor", true, expansions)
	if err != nil {
		return nil, err
	}
	s.prompt = prompt.val
	if s.username, err = get("username", "", false, expansions); err != nil {
		return nil, err
	}
	if s.password, err = get("password", "", false, expansions); err != nil {
		return nil, err
	}
	history, err := get("history_file", "", false, withHere)
	if err != nil {
		return nil, err
	}
	if history.val != "" {
		s.historyFile = normalizePath(history.val, home)
	}
	for _, f := range []struct {
		option string
		path   *string
	}{{"cafile", &s.tls.CAFile}, {"certfile", &s.tls.CertFile}, {"keyfile", &s.tls.KeyFile}} {
		v, err := get(f.option, "", false, withHere)
		if err != nil {
			return nil, err
		}
		if v.val != "" {
			*f.path = normalizePath(v.val, home)
		}
	}
	return s, nil
}

// normalizePath makes p absolute and clean, "~" expanded (to home, the
// $HOME of the environment), as the reference does with the paths in its
// config.
func normalizePath(p, home string) string {
	if strings.HasPrefix(p, "~") {
		name, rest, _ := strings.Cut(p[1:], "/")
		switch {
		case name != "":
			home = ""
			if u, err := user.Lookup(name); err == nil {
				home = u.HomeDir
			}
		case home == "":
			if u, err := user.Current(); err == nil {
				home = u.HomeDir
			}
		}
		if home != "" {
			p = strings.TrimRight(home, "/") + "/" + rest
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return abs
}

// pyExpand applies Python's "%" formatting with a dict, as the reference
// does to config values: %(name)s is replaced by the name's value and %%
// by %. name says which option the value came from, for the error.
func pyExpand(s string, exp map[string]string, name string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	bad := func(why string) error {
		return usageErrorf("Format string %s for %s is badly formatted: %s", conf.PyRepr(s), conf.PyRepr(name), why)
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", bad("incomplete format")
		}
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if s[i] != '(' {
			return "", bad("format requires a mapping")
		}
		depth, start := 1, i+1
		for i++; i < len(s) && depth > 0; i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		if depth > 0 {
			return "", bad("incomplete format key")
		}
		key := s[start : i-1]
		// Flags, width and precision are allowed before the conversion.
		for i < len(s) && strings.IndexByte("-+ #0123456789.", s[i]) >= 0 {
			i++
		}
		if i >= len(s) {
			return "", bad("incomplete format")
		}
		v, ok := exp[key]
		if !ok {
			names := make([]string, 0, len(exp))
			for k := range exp {
				names = append(names, k)
			}
			sort.Strings(names)
			return "", usageErrorf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
				conf.PyRepr(s), conf.PyRepr(name), conf.PyRepr(key), strings.Join(names, ", "))
		}
		switch s[i] {
		case 's':
			b.WriteString(v)
		case 'r', 'a':
			b.WriteString(conf.PyRepr(v))
		default:
			return "", bad(fmt.Sprintf("unsupported format character %s (0x%x) at index %d", conf.PyRepr(string(s[i])), s[i], i))
		}
	}
	return b.String(), nil
}

// isURL is the reference's check of -s: a scheme and something after it.
func isURL(s string) bool {
	scheme, rest := splitScheme(s)
	if scheme == "" {
		return false
	}
	if strings.HasPrefix(rest, "//") {
		netloc := rest[2:]
		if i := strings.IndexAny(netloc, "/?#"); i >= 0 {
			netloc, rest = netloc[:i], netloc[i:]
		} else {
			rest = ""
		}
		if netloc != "" {
			return true
		}
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest != ""
}

// splitScheme splits "scheme:rest" the way Python's urlsplit does; scheme
// is "" (and rest s) when s does not start with one.
func splitScheme(s string) (scheme, rest string) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || !isASCIILetter(s[0]) {
		return "", s
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !isASCIILetter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return "", s
		}
	}
	return strings.ToLower(s[:i]), s[i+1:]
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

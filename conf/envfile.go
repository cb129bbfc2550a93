package conf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// EnvFile is one entry of a program's environment_file= list, a file of
// KEY=value lines read each time the program is spawned.
type EnvFile struct {
	Path     string // absolute
	Optional bool   // written "-PATH": a file that cannot be read is skipped
}

// String reads as the entry is written.
func (f EnvFile) String() string {
	if f.Optional {
		return "-" + f.Path
	}
	return f.Path
}

// parseEnvFiles reads environment_file: a comma list of paths, each maybe
// prefixed by "-"; a relative path is taken from dir (the directory of the
// config file that holds the option). "" is no files.
func parseEnvFiles(dir string) func(string) ([]EnvFile, error) {
	return func(s string) ([]EnvFile, error) {
		if strings.TrimFunc(s, isPySpace) == "" {
			return nil, nil
		}
		var files []EnvFile
		for _, entry := range strings.Split(s, ",") {
			e := strings.TrimFunc(entry, isPySpace)
			f := EnvFile{Path: strings.TrimPrefix(e, "-")}
			f.Optional = len(f.Path) < len(e)
			if f.Path = strings.TrimFunc(f.Path, isPySpace); f.Path == "" {
				return nil, errors.New("empty entry in environment_file list")
			}
			if !filepath.IsAbs(f.Path) {
				f.Path = filepath.Join(dir, f.Path)
			}
			files = append(files, EnvFile{Path: filepath.Clean(f.Path), Optional: f.Optional})
		}
		return files, nil
	}
}

// ReadEnvFiles reads files in order, a later file's value of a key
// replacing an earlier one's in place. A file that cannot be read or parsed
// fails the whole read, naming its path, unless it is Optional, when it is
// skipped.
func ReadEnvFiles(files []EnvFile) ([]EnvVar, error) {
	var env []EnvVar
	for _, f := range files {
		vars, err := readEnvFile(f.Path)
		if err != nil {
			if f.Optional {
				continue
			}
			return nil, err
		}
		for _, kv := range vars {
			env = setEnv(env, kv.Key, kv.Value)
		}
	}
	return env, nil
}

func readEnvFile(path string) ([]EnvVar, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		var vars []EnvVar
		if vars, err = ParseEnvFile(data); err == nil {
			return vars, nil
		}
	}
	var perr *os.PathError
	if errors.As(err, &perr) {
		err = perr.Err
	}
	return nil, fmt.Errorf("couldn't read environment_file %s: %w", path, err)
}

// ParseEnvFile reads an environment file the way systemd's EnvironmentFile=
// does:
//
//   - Blank lines, and lines whose first non-blank character is # or ;, are
//     comments. A comment ends at its line's end.
//   - KEY=VALUE: blanks around KEY and before VALUE are dropped, and after an
//     unquoted VALUE too. A line without "=" is ignored.
//   - In an unquoted value a backslash keeps the next character as it is; a
//     backslash at the end of a line joins the next line (the newline is
//     dropped).
//   - '...' keeps everything up to the next ' as it is, newlines included.
//   - "..." does the same up to the next unescaped ", where a backslash
//     before one of " \ ` $ keeps that character alone, before a newline
//     joins the lines, and before anything else is kept with it.
//   - Quoted and unquoted parts run together ("a"'b'c is abc); blanks
//     between quoted parts are dropped.
//   - A KEY that is not a valid name ([A-Za-z_][A-Za-z0-9_]*, so an
//     "export " prefix too) is ignored, as systemd ignores it.
//   - A later KEY replaces an earlier one in place.
//
// Its error is for a file systemd would refuse: one with a NUL byte, or a key
// or value that is not UTF-8.
func ParseEnvFile(data []byte) ([]EnvVar, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("file contains a NUL byte")
	}
	p := envParser{}
	for _, c := range data {
		p.step(c)
	}
	p.end()
	if p.err != nil {
		return nil, p.err
	}
	return p.vars, nil
}

type envState int

const (
	envPreKey envState = iota
	envKey
	envPreValue
	envValue
	envValueEscape
	envSingle
	envDouble
	envDoubleEscape
	envComment
	envCommentEscape
)

// envParser is systemd's env-file state machine, one byte at a time.
type envParser struct {
	state      envState
	line       int // counts newlines seen, for errors
	key, value []byte
	// keyEnd and valueEnd are where the trailing blanks of the key and of
	// an unquoted value begin; -1 when the text does not end in blanks.
	keyEnd, valueEnd int
	vars             []EnvVar
	err              error
}

func isEnvBlank(c byte) bool   { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isEnvNewline(c byte) bool { return c == '\n' || c == '\r' }

func (p *envParser) addValue(c byte) { p.value = append(p.value, c) }

func (p *envParser) step(c byte) {
	switch p.state {
	case envPreKey:
		switch {
		case c == '#' || c == ';':
			p.state = envComment
		case !isEnvBlank(c):
			p.state, p.keyEnd = envKey, -1
			p.key = append(p.key[:0], c)
		}
	case envKey:
		switch {
		case isEnvNewline(c):
			p.state, p.key = envPreKey, p.key[:0]
			p.line++
		case c == '=':
			p.state, p.valueEnd = envPreValue, -1
		default:
			if !isEnvBlank(c) {
				p.keyEnd = -1
			} else if p.keyEnd < 0 {
				p.keyEnd = len(p.key)
			}
			p.key = append(p.key, c)
		}
	case envPreValue:
		switch {
		case isEnvNewline(c):
			p.push(false)
			p.line++
		case c == '\'':
			p.state = envSingle
		case c == '"':
			p.state = envDouble
		case c == '\\':
			p.state = envValueEscape
		case !isEnvBlank(c):
			p.state = envValue
			p.addValue(c)
		}
	case envValue:
		switch {
		case isEnvNewline(c):
			p.push(true)
			p.line++
		case c == '\\':
			p.state, p.valueEnd = envValueEscape, -1
		default:
			if !isEnvBlank(c) {
				p.valueEnd = -1
			} else if p.valueEnd < 0 {
				p.valueEnd = len(p.value)
			}
			p.addValue(c)
		}
	case envValueEscape:
		p.state = envValue
		if !isEnvNewline(c) {
			p.addValue(c)
		}
	case envSingle:
		if c == '\'' {
			p.state = envPreValue
		} else {
			p.addValue(c)
		}
	case envDouble:
		switch c {
		case '"':
			p.state = envPreValue
		case '\\':
			p.state = envDoubleEscape
		default:
			p.addValue(c)
		}
	case envDoubleEscape:
		p.state = envDouble
		switch {
		case strings.IndexByte("\"\\`$", c) >= 0:
			p.addValue(c)
		case c != '\n':
			p.addValue('\\')
			p.addValue(c)
		}
	case envComment:
		switch {
		case c == '\\':
			p.state = envCommentEscape
		case isEnvNewline(c):
			p.state = envPreKey
			p.line++
		}
	case envCommentEscape:
		p.state = envComment
		if isEnvNewline(c) {
			p.state = envPreKey
			p.line++
		}
	}
}

// end finishes a last line without a newline.
func (p *envParser) end() {
	switch p.state {
	case envPreValue, envValue, envValueEscape, envSingle, envDouble, envDoubleEscape:
		p.push(p.state == envValue)
	}
}

// push ends an assignment; trim drops an unquoted value's trailing blanks.
func (p *envParser) push(trim bool) {
	key, value := p.key, p.value
	if p.keyEnd >= 0 {
		key = key[:p.keyEnd]
	}
	if trim && p.valueEnd >= 0 {
		value = value[:p.valueEnd]
	}
	k, v := string(key), string(value)
	p.state, p.key, p.value = envPreKey, p.key[:0], p.value[:0]
	if p.err != nil {
		return
	}
	switch {
	case !utf8.ValidString(k):
		p.err = fmt.Errorf("line %d: invalid UTF-8 in key %q", p.line+1, k)
	case !utf8.ValidString(v):
		p.err = fmt.Errorf("line %d: invalid UTF-8 in the value of %s", p.line+1, k)
	case envNameValid(k):
		p.vars = setEnv(p.vars, k, v)
	}
}

// envNameValid reports whether k may name an environment variable.
func envNameValid(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

package conf

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// addGoldenSeeds seeds f with the main file of every golden case.
func addGoldenSeeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.conftest")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		in, _, _ := strings.Cut(string(b), "---- want\n")
		in, _, _ = strings.Cut(in, "---- file: ")
		f.Add([]byte(in))
	}
}

func FuzzParse(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte(Sample()))
	f.Add([]byte("[supervisord]\n[program:x]\ncommand=%(process_num)0*d\nenvironment='\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	f.Fuzz(func(t *testing.T, data []byte) {
		text := strings.ReplaceAll(string(data), "$DIR", dir)
		if strings.Contains(text, "[include]") {
			return // globs could name /dev/zero or a fifo; the include goldens cover this
		}
		cfg, err := Parse([]byte(text), path, []string{"HOME=/root", "X=y"})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("Error() spans lines: %q", err.Error())
			}
			return
		}
		for _, g := range cfg.Groups {
			if !g.Equal(g) {
				t.Fatalf("group %q is not equal to itself", g.Name)
			}
		}
	})
}

// FuzzCheck holds Check to Parse: it finds the config loads exactly when
// Parse does, its first error is Parse's, and each problem is one line.
func FuzzCheck(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte("[supervisord]\nloglevel=x\n[program:a]\ncomand=x\nnumprocs=-1\n[program:a]\nstartsecs=-1\n[group:g]\nprograms=a,b\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "supervisord.conf")
	env := []string{"HOME=/root", "X=y"}
	f.Fuzz(func(t *testing.T, data []byte) {
		text := strings.ReplaceAll(string(data), "$DIR", dir)
		if strings.Contains(text, "[include]") {
			return // as in FuzzParse
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Parse([]byte(text), path, env)
		r := Check(path, env)
		if (err == nil) != r.OK() {
			t.Fatalf("Parse says %v; Check found %d errors", err, len(r.Errors))
		}
		if err != nil && r.Errors[0].Error() != err.Error() {
			t.Fatalf("Check's first error %q is not Parse's %q", r.Errors[0].Error(), err.Error())
		}
		for _, line := range r.Lines() {
			if strings.Contains(line, "\n") {
				t.Fatalf("a problem spans lines: %q", line)
			}
		}
	})
}

// FuzzParseSeeds: a seeds= list that reads gives distinct HOST:PORT
// entries, each reading back as itself, and the list written back with
// commas reads the same.
func FuzzParseSeeds(f *testing.F) {
	for _, s := range []string{"", "a", "a:1, b c\n[::1]:9 ::2", "a,,b", "[fe80::1%eth0]", "a:7946 A", "1:2:3", "[x]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seeds, err := parseSeeds(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		for i, seed := range seeds {
			again, err := parseSeed(seed)
			if err != nil || again != seed {
				t.Fatalf("seed %q reads back as %q, %v", seed, again, err)
			}
			if slices.Contains(seeds[:i], seed) {
				t.Fatalf("seed %q twice in %q", seed, seeds)
			}
		}
		back, err := parseSeeds(strings.Join(seeds, ","))
		if err != nil || !slices.Equal(back, seeds) {
			t.Fatalf("%q written back reads as %q, %v", seeds, back, err)
		}
	})
}

// FuzzParseBindAddress: an address that reads reads back as itself.
func FuzzParseBindAddress(f *testing.F) {
	for _, s := range []string{":0", "0.0.0.0:7947", "[::]:1", "h", "::1:80", "[::1", "Host.Example:65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseBindAddress(s)
		if err != nil {
			return
		}
		if again, err := parseBindAddress(a); err != nil || again != a {
			t.Fatalf("%q gave %q, which reads back as %q, %v", s, a, again, err)
		}
	})
}

// FuzzGossipKey: a key that reads is 16, 24 or 32 bytes, and its base64
// is the file's text, blanks around it aside.
func FuzzGossipKey(f *testing.F) {
	for _, s := range []string{"", "MDEyMzQ1Njc4OWFiY2RlZg==\n", "  AOkdGz5NkKPL7XAwA9Xr8R1f2MyI96kebaw0obfVapU=  ", "not base64", "QUJD"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := parseGossipKey(data)
		if err != nil {
			return
		}
		if n := len(key); n != 16 && n != 24 && n != 32 {
			t.Fatalf("a key of %d bytes", n)
		}
		text := strings.Join(strings.Fields(string(data)), "")
		if base64.StdEncoding.EncodeToString(key) != strings.NewReplacer("\r", "", "\n", "").Replace(text) {
			t.Fatalf("%q read as %x", data, key)
		}
	})
}

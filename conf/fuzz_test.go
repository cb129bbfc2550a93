package conf

import (
	"os"
	"path/filepath"
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

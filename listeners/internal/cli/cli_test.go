package cli

import (
	"reflect"
	"testing"
)

func TestGetopt(t *testing.T) {
	long := []string{"help", "program=", "any", "cumulative"}
	opts, rest, err := Getopt([]string{"-ap", "x", "-pgrp:y", "--program=z", "--prog", "w", "--cum", "-h", "url", "-a"}, "hp:ac", long)
	want := []Opt{{"-a", ""}, {"-p", "x"}, {"-p", "grp:y"}, {"--program", "z"}, {"--program", "w"}, {"--cumulative", ""}, {"-h", ""}}
	if err != nil || !reflect.DeepEqual(opts, want) || !reflect.DeepEqual(rest, []string{"url", "-a"}) {
		t.Errorf("Getopt = %v, %v, %v", opts, rest, err)
	}
	if opts, rest, err := Getopt([]string{"-a", "--", "-p"}, "p:a", nil); err != nil || len(opts) != 1 || rest[0] != "-p" {
		t.Errorf("-- : %v %v %v", opts, rest, err)
	}
	if _, rest, _ := Getopt([]string{"-", "x"}, "a", nil); len(rest) != 2 {
		t.Error("a lone - is an argument")
	}
	for _, bad := range [][]string{{"-x"}, {"-p"}, {"--program"}, {"--any=1"}, {"--nope"}, {"--c"}, {"-:"}} {
		if _, _, err := Getopt(bad, "p:a", []string{"program=", "any", "cumulative", "cx"}); err == nil {
			t.Errorf("Getopt(%q) accepted", bad)
		}
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"10": 10, "1kb": 1024, "2MB": 2 << 20, "1Gb": 1 << 30, " 3 KB ": 3072} {
		if n, err := ByteSize(in); err != nil || n != want {
			t.Errorf("ByteSize(%q) = %d, %v", in, n, err)
		}
	}
	for _, bad := range []string{"", "kb", "1TB", "-1", "1.5MB", "99999999999GB"} {
		if n, err := ByteSize(bad); err == nil {
			t.Errorf("ByteSize(%q) = %d", bad, n)
		}
	}
	for in, want := range map[string]int64{"10": 10, "10s": 10, "2m": 120, "1h": 3600, "1d": 86400} {
		if n, err := Seconds(in); err != nil || n != want {
			t.Errorf("Seconds(%q) = %d, %v", in, n, err)
		}
	}
	if _, err := Seconds("1w"); err == nil {
		t.Error("1w")
	}
}

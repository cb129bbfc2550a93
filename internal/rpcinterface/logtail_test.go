package rpcinterface

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// follow streams the tail, then growth, a rotation and a truncation.
func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte(strings.Repeat("a", 2000)+"\nfirst\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { follow(w, r, path) }))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/plain;charset=utf-8" {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewReader(resp.Body)
	expect := func(want string) {
		t.Helper()
		done := make(chan string, 1)
		go func() { l, _ := lines.ReadString('\n'); done <- l }()
		select {
		case got := <-done:
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q", want)
		}
	}
	// The first KiB: the tail of the a's, then the rest.
	expect(strings.Repeat("a", 1024-len("\nfirst\n")) + "\n")
	expect("first\n")
	appendTo := func(s string) {
		f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(s)
		f.Close()
	}
	appendTo("second\n")
	expect("second\n")
	os.Rename(path, path+".1")
	os.WriteFile(path, []byte("rotated\n"), 0o644)
	expect("rotated\n")
	os.WriteFile(path, nil, 0o644) // truncate in place
	expect("==> File truncated <==\n")
	appendTo("after\n")
	expect("after\n")
}

func TestFollowMissing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		follow(w, r, filepath.Join(t.TempDir(), "none"))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
}

package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNotify(t *testing.T) {
	dir := t.TempDir()
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	n := &Notifier{
		Command:  "cat > " + dir + "/cmd; echo \"$NOTIFY_SUBJECT\" > " + dir + "/subject",
		Email:    "ops@example.com",
		Sendmail: "cat > " + dir + "/mail",
		Webhook:  srv.URL,
	}
	if !n.Enabled() || (&Notifier{}).Enabled() || (*Notifier)(nil).Enabled() {
		t.Fatal("Enabled")
	}
	err := n.Notify(context.Background(), Message{Subject: "subj", Body: "line1\nline2", Fields: map[string]any{"pid": 7, "subject": "overridden"}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string { b, _ := os.ReadFile(filepath.Join(dir, name)); return string(b) }
	if read("cmd") != "line1\nline2" || read("subject") != "subj\n" {
		t.Errorf("command got %q, %q", read("cmd"), read("subject"))
	}
	if read("mail") != "To: ops@example.com\nSubject: subj\n\nline1\nline2" {
		t.Errorf("mail %q", read("mail"))
	}
	if got["subject"] != "subj" || got["message"] != "line1\nline2" || got["pid"] != float64(7) {
		t.Errorf("webhook %v", got)
	}
	if err := (&Notifier{}).Notify(context.Background(), Message{}); err != nil {
		t.Error(err)
	}
}

func TestNotifyErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	err := (&Notifier{Webhook: srv.URL}).Notify(context.Background(), Message{})
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("webhook 500: %v", err)
	}
	err = (&Notifier{Command: "echo oops >&2; exit 3"}).Notify(context.Background(), Message{})
	if err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("failing command: %v", err)
	}
	start := time.Now()
	err = (&Notifier{Command: "sleep 10", Timeout: 100 * time.Millisecond}).Notify(context.Background(), Message{})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("slow command: %v after %v", err, time.Since(start))
	}
	if err := (&Notifier{Webhook: "http://\x00"}).Notify(context.Background(), Message{}); err == nil {
		t.Error("bad webhook URL")
	}
}

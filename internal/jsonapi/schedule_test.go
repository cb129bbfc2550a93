package jsonapi

import (
	"encoding/json"
	"testing"
	"time"
)

// A scheduled program's process view carries its next due time; others
// have none.
func TestProcessNextRun(t *testing.T) {
	f := startFixture(t, `[supervisord]
logfile=%(here)s/main.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
[program:job]
command=/bin/true
schedule=@every 1h
[program:plain]
command=/bin/true
autostart=false
`)
	before := time.Now()
	var job, plain map[string]any
	json.Unmarshal(f.do("GET", "/api/v1/processes/job", "").body, &job)
	json.Unmarshal(f.do("GET", "/api/v1/processes/plain", "").body, &plain)
	next, _ := job["next_run"].(float64)
	if due := before.Add(time.Hour).Unix(); int64(next) < due-2 || int64(next) > due+2 {
		t.Errorf("job: next_run %v, want about %d (%v)", job["next_run"], due, job)
	}
	if job["statename"] != "STOPPED" {
		t.Errorf("job is %v before its first due time; want STOPPED (not autostarted)", job["statename"])
	}
	if _, ok := plain["next_run"]; ok {
		t.Errorf("plain has a next_run: %v", plain)
	}
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"supervisord/internal/rpcclient"
	"supervisord/testkit"
)

// TestMetricsServed: the daemon serves /metrics and /metrics/history on
// its servers, beside /RPC2, and counts the XML-RPC calls it answers.
func TestMetricsServed(t *testing.T) {
	t.Parallel()
	d := testkit.StartDaemon(t, bin, testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+`
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
`)
	rpc := rpcclient.New(rpcclient.Server{Network: "unix", Address: d.Socket(), Host: "localhost"}, rpcclient.Options{})
	web := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.Socket())
	}}}
	defer web.CloseIdleConnections()
	get := func(path string) (int, string) {
		resp, err := web.Get("http://localhost" + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testkit.Eventually(t, 15*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := rpc.Call(ctx, "supervisor.getProcessInfo", "sleeper")
		m, _ := info.(map[string]any)
		return err == nil && m["statename"] == "RUNNING"
	}, "sleeper is RUNNING")

	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	has := func(name string, labels map[string]string, want float64) bool {
		for _, m := range fams[name].GetMetric() {
			match := true
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					match = false
				}
			}
			if match && (m.GetGauge().GetValue() == want || m.GetCounter().GetValue() >= want) {
				return true
			}
		}
		return false
	}
	if !has("supervisord_process_state", map[string]string{"name": "sleeper", "state": "RUNNING"}, 1) {
		t.Errorf("sleeper is not RUNNING in\n%s", body)
	}
	if !has("supervisord_api_requests_total", map[string]string{"surface": "xmlrpc", "method": "supervisor.getProcessInfo", "result": "ok"}, 1) {
		t.Errorf("the XML-RPC calls are not counted in\n%s", body)
	}
	if fams["go_goroutines"] == nil || fams["process_cpu_seconds_total"] == nil {
		t.Errorf("the daemon's own metrics are missing from\n%s", body)
	}

	code, body = get("/metrics/history?process=sleeper:sleeper")
	var s struct {
		Group, Name string
		Marks       []struct{ Kind, State string }
	}
	if err := json.Unmarshal([]byte(body), &s); code != http.StatusOK || err != nil || s.Name != "sleeper" ||
		len(s.Marks) == 0 || s.Marks[0].Kind != "start" {
		t.Errorf("/metrics/history: %d %s (%v)", code, body, err)
	}
	if code, body := get("/metrics/history?process=nosuch:nosuch"); code != http.StatusNotFound {
		t.Errorf("an unknown process's history: %d %s", code, body)
	}
}

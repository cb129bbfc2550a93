//go:build pprof

// Built only with -tags pprof (bench/run -pprof does): serves the Go
// profiler on SUPERVISORD_PPROF (a loopback host:port), so the benchmark
// harness can take CPU, heap and goroutine profiles of a running daemon.
// Release builds carry none of it.

package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	rpprof "runtime/pprof"
	"strconv"
	"strings"
	"time"
)

func init() {
	addr := os.Getenv("SUPERVISORD_PPROF")
	if addr == "" || !strings.HasPrefix(addr, "127.0.0.1:") {
		return
	}
	if rate, err := strconv.Atoi(os.Getenv("SUPERVISORD_MEMPROFILERATE")); err == nil {
		runtime.MemProfileRate = rate // e.g. 1024 to tell per-process costs apart
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return
	}
	mux := http.NewServeMux() // never DefaultServeMux
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", cpuProfile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)
}

// cpuProfile is net/http/pprof's profile handler with a sampling rate:
// ?seconds=N&hz=M (100 Hz by default is too coarse for a 1 s spawn).
func cpuProfile(w http.ResponseWriter, r *http.Request) {
	secs, _ := strconv.Atoi(r.FormValue("seconds"))
	hz, _ := strconv.Atoi(r.FormValue("hz"))
	if secs <= 0 {
		secs = 5
	}
	if hz > 0 {
		runtime.SetCPUProfileRate(hz) // StartCPUProfile then complains, and keeps it
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := rpprof.StartCPUProfile(w); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	time.Sleep(time.Duration(secs) * time.Second)
	rpprof.StopCPUProfile()
}

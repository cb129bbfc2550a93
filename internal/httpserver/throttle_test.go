package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"supervisord/conf"
	"supervisord/internal/auth"
)

func TestThrottleDelays(t *testing.T) {
	p := loginThrottle
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}
	for i, w := range want {
		if got := p.delay(i + 1); got != w {
			t.Errorf("delay after failure %d = %v, want %v", i+1, got, w)
		}
	}
	if got := p.delay(1000); got != p.max {
		t.Errorf("delay after 1000 failures = %v", got)
	}
}

// TestThrottle runs the slowdown on synctest's fake clock: each failure
// past the free ones holds its answer back longer; other clients are not
// held back; a success, or a quiet spell, forgets the client.
func TestThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := newThrottle(loginThrottle)
		ctx := context.Background()
		fail := func(key string) time.Duration {
			start := time.Now()
			if !th.wait(ctx, key) || !th.failed(ctx, key) {
				t.Fatal("context ended")
			}
			return time.Since(start)
		}
		for i, want := range []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second} {
			if got := fail("10.0.0.1"); got != want {
				t.Errorf("failure %d took %v, want %v", i+1, got, want)
			}
		}
		if got := fail("10.0.0.2"); got != 0 {
			t.Errorf("another client's first failure took %v", got)
		}
		th.succeeded("10.0.0.1")
		if got := fail("10.0.0.1"); got != 0 {
			t.Errorf("after a success, a failure took %v", got)
		}
		fail("10.0.0.1")
		if got := fail("10.0.0.1"); got != time.Second {
			t.Errorf("third failure after a success took %v", got)
		}
		time.Sleep(loginThrottle.forget)
		if got := fail("10.0.0.1"); got != 0 {
			t.Errorf("after a quiet spell, a failure took %v", got)
		}
	})
}

// TestThrottleQueues: attempts sent side by side from one address wait
// their turn, each one delay after the other.
func TestThrottleQueues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := newThrottle(throttleParams{free: 0, base: time.Second, max: time.Second, forget: time.Hour, capacity: 10})
		start := time.Now()
		var mu sync.Mutex
		var took []time.Duration
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				th.wait(context.Background(), "k")
				th.failed(context.Background(), "k")
				mu.Lock()
				took = append(took, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}
		if fmt.Sprint(took) != fmt.Sprint(want) {
			t.Errorf("answers at %v, want %v", took, want)
		}
		// A client that leaves is not held.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if th.wait(ctx, "k") {
			t.Error("wait went on for a client that left")
		}
	})
}

// TestThrottleCapacity: a flood of addresses keeps the table at its
// capacity, dropping the client whose last failure is oldest.
func TestThrottleCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := newThrottle(throttleParams{free: 5, base: time.Second, max: time.Second, forget: time.Hour, capacity: 100})
		ctx := context.Background()
		th.failed(ctx, "first")
		time.Sleep(time.Second)
		for i := range 1000 {
			th.failed(ctx, fmt.Sprint("10.0.", i/256, ".", i%256))
			if n := th.size(); n > 100 {
				t.Fatalf("%d clients remembered", n)
			}
		}
		th.mu.Lock()
		_, kept := th.clients["first"]
		th.mu.Unlock()
		if kept {
			t.Error("the oldest client was kept")
		}
		time.Sleep(time.Hour)
		th.failed(ctx, "late")
		if n := th.size(); n != 1 {
			t.Errorf("after everyone is forgotten, %d clients remembered", n)
		}
	})
}

// TestGuardSlowsFailedLogins drives the guard itself on the fake clock:
// a client failing again and again waits longer each time, while another
// address logs in at once, and the right password still works.
func TestGuardSlowsFailedLogins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, err := newAccess("admin", "pw", []*conf.User{{Name: "r", Password: "rpw", Role: auth.Read}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := &guard{next: whoami, access: a, throttle: newThrottle(loginThrottle), maxBody: 1 << 20,
			log: slog.New(slog.DiscardHandler)}
		try := func(from, user, pass string) (int, time.Duration) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = from + ":1234"
			req.SetBasicAuth(user, pass)
			rec := httptest.NewRecorder()
			start := time.Now()
			g.ServeHTTP(rec, req)
			return rec.Code, time.Since(start)
		}
		for i, want := range []time.Duration{0, 0, time.Second, 2 * time.Second} {
			if code, took := try("192.0.2.1", "admin", "guess"); code != 401 || took != want {
				t.Errorf("failure %d: %d after %v, want 401 after %v", i+1, code, took, want)
			}
		}
		if code, took := try("192.0.2.2", "r", "rpw"); code != 200 || took != 0 {
			t.Errorf("another address: %d after %v", code, took)
		}
		// An attempt sent while a failure is held back (4 s) waits its
		// turn, even with the right password.
		done := make(chan struct{})
		go func() {
			defer close(done)
			try("192.0.2.1", "admin", "guess")
		}()
		time.Sleep(time.Second)
		if code, took := try("192.0.2.1", "admin", "pw"); code != 200 || took != 3*time.Second {
			t.Errorf("the right password during the hold: %d after %v, want 200 after 3s", code, took)
		}
		<-done
		if code, took := try("192.0.2.1", "admin", "guess"); code != 401 || took != 0 {
			t.Errorf("after a success the count starts again: %d after %v", code, took)
		}
	})
}

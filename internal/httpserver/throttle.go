package httpserver

import (
	"context"
	"sync"
	"time"
)

// throttle slows down failed logins per client: after a few failures in
// a row from one address, each further attempt from it waits longer, up to
// a bound. A success forgets the address, and so does a quiet spell. Only
// the failing client waits (each request waits in its own goroutine), and
// its attempts are serialized: one sent while an earlier one is held back
// waits its turn. The table of clients has a fixed capacity, so a flood of
// addresses costs bounded memory.
type throttle struct {
	p       throttleParams
	mu      sync.Mutex
	clients map[string]*strikes
}

// throttleParams are the slowdown's knobs; Start uses loginThrottle.
type throttleParams struct {
	free     int           // failures in a row answered at once (typos)
	base     time.Duration // the wait after the first failure past free; doubling after each
	max      time.Duration // the longest wait
	forget   time.Duration // a client with no failure for this long starts afresh
	capacity int           // clients remembered at most
}

// loginThrottle: two failures are free, then 1 s, 2 s, 4 s, 8 s, then 15 s
// for every further one, forgotten 15 minutes after the last failure; up to
// 4096 addresses (a few hundred KiB).
var loginThrottle = throttleParams{free: 2, base: time.Second, max: 15 * time.Second,
	forget: 15 * time.Minute, capacity: 4096}

// strikes are one client's failures in a row.
type strikes struct {
	failures int
	last     time.Time // the last failure
	until    time.Time // no attempt is checked before then
}

func newThrottle(p throttleParams) *throttle {
	return &throttle{p: p, clients: map[string]*strikes{}}
}

// delay is the wait after the n-th failure in a row.
func (p throttleParams) delay(n int) time.Duration {
	if n <= p.free {
		return 0
	}
	d := p.base
	for i := p.free + 1; i < n && d < p.max; i++ {
		d *= 2
	}
	return min(d, p.max)
}

// wait holds an attempt from key back until the client's turn; false when
// ctx ended first (the client left).
func (t *throttle) wait(ctx context.Context, key string) bool {
	t.mu.Lock()
	var until time.Time
	if s := t.clients[key]; s != nil {
		until = s.until
	}
	t.mu.Unlock()
	return sleepUntil(ctx, until)
}

// failed records a failure from key and holds the answer back as long as
// the client must wait; false when ctx ended first.
func (t *throttle) failed(ctx context.Context, key string) bool {
	now := time.Now()
	t.mu.Lock()
	s := t.clients[key]
	if s != nil && now.Sub(s.last) >= t.p.forget {
		s = nil
	}
	if s == nil {
		t.makeRoom(now)
		s = &strikes{}
		t.clients[key] = s
	}
	s.failures++
	s.last = now
	// Attempts sent side by side queue up behind each other.
	if s.until.Before(now) {
		s.until = now
	}
	s.until = s.until.Add(t.p.delay(s.failures))
	until := s.until
	t.mu.Unlock()
	return sleepUntil(ctx, until)
}

// succeeded forgets key's failures.
func (t *throttle) succeeded(key string) {
	t.mu.Lock()
	delete(t.clients, key)
	t.mu.Unlock()
}

// makeRoom drops forgotten clients when the table is full, and if none is,
// the one whose last failure is oldest. Called with t.mu held.
func (t *throttle) makeRoom(now time.Time) {
	if len(t.clients) < t.p.capacity {
		return
	}
	oldest, oldestKey := now, ""
	for k, s := range t.clients {
		if now.Sub(s.last) >= t.p.forget {
			delete(t.clients, k)
			continue
		}
		if !s.last.After(oldest) {
			oldest, oldestKey = s.last, k
		}
	}
	if len(t.clients) >= t.p.capacity {
		delete(t.clients, oldestKey)
	}
}

// size is how many clients are remembered.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.clients)
}

// sleepUntil waits until the time at, or until ctx ends (false).
func sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

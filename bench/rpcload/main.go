// Command rpcload measures a supervisord's XML-RPC speed over its unix
// socket: the median and 95th percentile latency of getAllProcessInfo, and
// getState calls per second from a few concurrent clients.
//
//	go run ./bench/rpcload -socket /path/supervisor.sock
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/protocol/xmlrpc"
)

func main() {
	socket := flag.String("socket", "", "the daemon's unix socket")
	calls := flag.Int("calls", 100, "getAllProcessInfo calls to time")
	clients := flag.Int("clients", 4, "concurrent getState clients")
	dur := flag.Duration("for", 5*time.Second, "how long to run getState")
	flag.Parse()
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", *socket)
		},
		MaxIdleConnsPerHost: *clients,
	}}
	// call times the server, not this client: the body is read whole but
	// only checked for a fault, as parsing 1 MB of XML is the client's cost.
	call := func(method string) error {
		resp, err := c.Post("http://localhost/RPC2", "text/xml", bytes.NewReader(xmlrpc.EncodeCall(method)))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte("<fault>")) {
			return fmt.Errorf("%s: %s: %.200s", method, resp.Status, body)
		}
		return nil
	}

	var lat []time.Duration
	for range *calls {
		start := time.Now()
		if err := call("supervisor.getAllProcessInfo"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	fmt.Printf("getAllProcessInfo: median %.1f ms, p95 %.1f ms (%d calls)\n",
		ms(lat[len(lat)/2]), ms(lat[len(lat)*95/100]), len(lat))

	var n atomic.Int64
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if call("supervisor.getState") == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("getState: %.0f calls/s with %d clients\n", float64(n.Load())/dur.Seconds(), *clients)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

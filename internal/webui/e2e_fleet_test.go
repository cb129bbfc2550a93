package webui

// The fleet view in headless Chromium, over a fake fleet of three nodes:
// the grid, a change on a node shown without a reload, actions on a cell
// and a row, the selector, and every request to the page's own server.

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"supervisord/actors"
)

// gridJS reads the fleet grid the browser shows, as gridOf reads it from
// HTML.
const gridJS = `[Array.from(document.querySelectorAll('#fleet thead th.node'), th => th.dataset.node + (th.classList.contains('unreachable') ? '!' : '')).join(' ')]
  .concat(Array.from(document.querySelectorAll('#fleet tbody tr.prog'), tr => tr.dataset.name + ':' +
    Array.from(tr.querySelectorAll('td.cell'), td => ' ' + td.dataset.node + '=' +
      (td.classList.contains('unknown') ? '?' : td.classList.contains('absent') ? '-' : td.dataset.state)).join(''))).join('\n')`

func cellJS(spec, node string) string {
	return `document.querySelector('#fleet tr[data-name="` + spec + `"] td[data-node="` + node + `"]')`
}

func TestBrowserFleet(t *testing.T) {
	b := newTab(t)
	f, ff := startFleet(t)
	var reqs origins
	reqs.watch(b)
	b.step("open the fleet view from the status page", chromedp.Navigate(f.url+"/"), chromedp.WaitVisible(chromedp.CSS("#live.on")),
		chromedp.Click(chromedp.CSS(`header a.nav[href="fleet.html"]`)),
		chromedp.WaitVisible(chromedp.CSS("#fleet")), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	want := strings.Join([]string{
		"db-1! web-1 web-2",
		"sleeper: db-1=? web-1=RUNNING web-2=-",
		"web:w_0: db-1=? web-1=RUNNING web-2=RUNNING",
		"web:w_1: db-1=? web-1=RUNNING web-2=STOPPED",
	}, "\n")
	if got := b.eval(gridJS); got != want {
		t.Fatalf("grid:\n%v\nwant:\n%s", got, want)
	}
	for expr, want := range map[string]any{
		`document.querySelector('th.node.unreachable .unreach').textContent`:                                                                                      "unreachable",
		`document.querySelector('th.node.unreachable .unreach').offsetWidth > 0`:                                                                                  true,
		`document.querySelector('th.node[data-node="web-2"] .labels').textContent`:                                                                                "role=web,zone=b",
		`document.querySelector('th.node[data-node="db-1"] .nstate').textContent`:                                                                                 "suspect",
		cellJS("sleeper", "web-1") + `.querySelector('.badge').title`:                                                                                             "pid 4200, uptime 0:01:00",
		`getComputedStyle(` + cellJS("web:w_1", "web-2") + `.querySelector('.badge')).color === getComputedStyle(document.querySelector('.state-running')).color`: false,
		`document.getElementById('summary').textContent`:                                                                                                          "3 nodes · 1 unreachable · 4 running · 1 stopped",
	} {
		if got := b.eval(expr); got != want {
			t.Errorf("%s: %v, want %v", expr, got, want)
		}
	}
	b.eval(`window.sameDocument = true; window.kept = ` + cellJS("web:w_0", "web-2"))

	// A node's process changes: its cell follows, without a reload; a
	// cell whose description alone changed stays (only its title moves on).
	ff.set("web-2", "web:w_1", actors.Running)
	ff.describe("web-2", "web:w_0", "pid 4200, uptime 0:02:00")
	b.step("see web-2's web:w_1 start", poll(cellJS("web:w_1", "web-2")+`.dataset.state === 'RUNNING'`),
		poll(cellJS("web:w_0", "web-2")+`.querySelector('.badge').title === 'pid 4200, uptime 0:02:00'`))
	if b.eval(`window.sameDocument === true && window.kept === `+cellJS("web:w_0", "web-2")) != true {
		t.Error("the page was reloaded, or an unchanged cell replaced")
	}
	b.eval(`document.querySelectorAll('.flash').forEach(e => e.classList.remove('flash'))`) // a still picture
	shot(t, b.ctx, "fleet.png")

	// Stop on a cell: that process on that node.
	b.step("stop web:w_0 on web-1", chromedp.Click(chromedp.CSS(`#fleet tr[data-name="web:w_0"] td[data-node="web-1"] button[value="stop"]`)),
		poll(`document.getElementById('message').textContent === 'Process web:w_0 stopped on web-1'`),
		poll(cellJS("web:w_0", "web-1")+`.dataset.state === 'STOPPED' && `+cellJS("web:w_0", "web-1")+`.querySelector('button[value="start"]') !== null`))
	if acts := ff.actions(); len(acts) != 1 || acts[0] != "stop web:w_0 on web-1" {
		t.Fatalf("the fleet was asked %q", acts)
	}
	// Restart on a row, confirmed: every node shown; the one that does not
	// answer is reported.
	b.eval(`window.confirm = () => true`)
	b.step("restart web:w_0 everywhere", chromedp.Click(chromedp.CSS(`#fleet tr[data-name="web:w_0"] th.prog button[value="restart"]`)),
		poll(`document.getElementById('message').textContent === 'Process web:w_0 restarted on web-1, web-2 with errors: db-1: unreachable: no answer within 5s'`),
		poll(`document.getElementById('message').classList.contains('error')`),
		poll(cellJS("web:w_0", "web-1")+`.dataset.state === 'RUNNING'`))
	if acts := ff.actions(); len(acts) != 2 || acts[1] != "restart web:w_0 on db-1,web-1,web-2" {
		t.Fatalf("the fleet was asked %q", acts)
	}
	if b.eval(`window.sameDocument === true`) != true {
		t.Error("an action reloaded the page")
	}

	// The selector picks the nodes; a bad one says why.
	b.step("select role=web", chromedp.SetValue(chromedp.CSS("#selector"), "role=web"), chromedp.Submit(chromedp.CSS("#selector")),
		chromedp.WaitVisible(chromedp.CSS(`#fleet[data-selector="role=web"]`)), chromedp.WaitVisible(chromedp.CSS("#live.on")),
		poll(`location.search === '?selector=role%3Dweb' && document.querySelectorAll('#fleet thead th.node').length === 2`))
	if got := b.eval(gridJS); got != "web-1 web-2\nsleeper: web-1=RUNNING web-2=-\nweb:w_0: web-1=RUNNING web-2=RUNNING\nweb:w_1: web-1=RUNNING web-2=RUNNING" {
		t.Errorf("role=web:\n%v", got)
	}
	b.step("a bad selector", chromedp.SetValue(chromedp.CSS("#selector"), "role in (web"), chromedp.Submit(chromedp.CSS("#selector")),
		chromedp.WaitVisible(chromedp.CSS("#selector.invalid")),
		poll(`document.getElementById('message').textContent.startsWith('ERROR: selector: ') && document.getElementById('fleet') === null`))
	if got := b.eval(`document.getElementById('selector').classList.contains('invalid') && document.getElementById('selector').value`); got != "role in (web" {
		t.Errorf("the bad selector's box: %v", got)
	}
	b.step("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(f.url+"/fleet.html"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")))
	shot(t, b.ctx, "fleet-phone.png")
	reqs.check(b, f.url)
}

// The status page made live: actions without a reload, the table kept up
// to date from the daemon's event stream (ui/events), a name filter and
// ticking uptimes. Without this script the page still works with plain
// forms and links. The process page uses it for its one row (its table's
// data-stream names the stream of that row).
'use strict';
(() => {
  const table = document.getElementById('procs');
  const message = document.getElementById('message');
  const live = document.getElementById('live');
  const filter = document.getElementById('filter');
  const summary = document.getElementById('summary');
  const order = ['running', 'starting', 'backoff', 'stopping', 'fatal', 'exited', 'stopped', 'unknown'];
  let stopping = false;

  function showMessage(text, isError) {
    message.textContent = text;
    message.classList.add('shown');
    message.classList.toggle('error', !!isError);
  }

  // Actions go through fetch (actions.js); the rows follow from the
  // event stream.
  window.postForms(showMessage);

  // Uptimes tick in the browser: the server's clock, as of the row.
  function stamp(tr) {
    tr.dataset.skew = String(Number(tr.dataset.now) - Date.now() / 1000);
  }

  function timedelta(s) {
    const days = Math.floor(s / 86400);
    s %= 86400;
    const hms = Math.floor(s / 3600) + ':' + String(Math.floor(s / 60) % 60).padStart(2, '0') + ':' + String(s % 60).padStart(2, '0');
    if (days === 0) return hms;
    return days + (days === 1 ? ' day, ' : ' days, ') + hms;
  }

  function tick() {
    for (const tr of table.querySelectorAll('tr.proc[data-state="RUNNING"]')) {
      const start = Number(tr.dataset.start);
      if (!start) continue;
      const now = Math.floor(Date.now() / 1000 + Number(tr.dataset.skew || 0));
      const desc = tr.querySelector('td.desc');
      if (desc) desc.textContent = 'pid ' + tr.dataset.pid + ', uptime ' + timedelta(Math.max(now - start, 0));
    }
  }

  function applyFilter() {
    const q = filter ? filter.value.trim().toLowerCase() : '';
    for (const tbody of table.tBodies) {
      let shown = 0;
      for (const tr of tbody.querySelectorAll('tr.proc')) {
        const hide = q !== '' && !tr.dataset.name.toLowerCase().includes(q);
        tr.hidden = hide;
        if (!hide) shown++;
      }
      if (tbody.classList.contains('group')) tbody.hidden = shown === 0;
    }
  }

  function updateSummary() {
    if (!summary) return; // the process page's table has no summary
    const counts = {};
    for (const tr of table.querySelectorAll('tr.proc')) {
      const s = tr.dataset.state.toLowerCase();
      counts[s] = (counts[s] || 0) + 1;
    }
    summary.replaceChildren();
    for (const s of order) {
      if (!counts[s]) continue;
      if (summary.childNodes.length) summary.append(' · ');
      const b = document.createElement('b');
      b.textContent = counts[s];
      summary.append(b, ' ' + s);
    }
  }

  function refreshed() {
    applyFilter();
    updateSummary();
    tick();
  }

  function replaceGroups(html) {
    for (const tbody of Array.from(table.tBodies)) tbody.remove();
    table.insertAdjacentHTML('beforeend', html);
    for (const tr of table.querySelectorAll('tr.proc')) stamp(tr);
    refreshed();
  }

  function replaceRow(namespec, html) {
    const old = document.getElementById('p:' + namespec);
    if (!old) return;
    const changed = old.dataset.state;
    old.insertAdjacentHTML('afterend', html);
    old.remove();
    const tr = document.getElementById('p:' + namespec);
    stamp(tr);
    if (tr.dataset.state !== changed) tr.classList.add('flash');
    refreshed();
  }

  function setLive(on) {
    live.classList.toggle('on', on);
    live.classList.toggle('stopping', stopping);
    live.textContent = on ? (stopping ? 'shutting down' : 'live') : 'reconnecting…';
  }

  function connect() {
    window.liveStream(() => table.dataset.stream || 'ui/events', {
      snapshot: (e) => {
        const d = JSON.parse(e.data);
        stopping = d.stopping;
        replaceGroups(d.html);
        setLive(true);
      },
      process: (e) => {
        const d = JSON.parse(e.data);
        replaceRow(d.namespec, d.html);
      },
      supervisor: (e) => {
        const d = JSON.parse(e.data);
        stopping = d.stopping;
        setLive(!d.down);
      },
    }, setLive);
  }

  if (filter) {
    filter.addEventListener('input', () => {
      applyFilter();
      const url = new URL(window.location.href);
      url.search = '';
      if (filter.value) url.searchParams.set('filter', filter.value);
      history.replaceState(null, '', url);
    });
    filter.form.addEventListener('submit', (e) => e.preventDefault());
  }

  for (const tr of table.querySelectorAll('tr.proc')) stamp(tr);
  refreshed();
  setInterval(tick, 1000);
  connect();
})();

// The fleet view made live: the grid kept up to date from the fleet's
// snapshots (ui/fleet), actions without a reload (actions.js). A snapshot
// with the same nodes and programs changes only the cells that changed,
// and a cell whose state and buttons stayed only gets its description (the
// badge's title) renewed, so a button under the pointer stays put. Without
// this script the page works with plain forms and a reload.
'use strict';
(() => {
  const table = document.getElementById('fleet');
  const message = document.getElementById('message');
  const live = document.getElementById('live');
  const summary = document.getElementById('summary');
  const order = ['running', 'starting', 'backoff', 'stopping', 'fatal', 'exited', 'stopped', 'unknown'];

  function showMessage(text, isError) {
    message.textContent = text;
    message.classList.add('shown');
    message.classList.toggle('error', !!isError);
  }
  window.postForms(showMessage);
  if (!table) return; // a selector that does not parse: no grid

  // shape is the grid's nodes and programs, in order.
  function shape(root) {
    const nodes = Array.from(root.querySelectorAll('thead th.node'), (th) => th.dataset.node);
    const progs = Array.from(root.querySelectorAll('tbody tr'), (tr) => tr.dataset.name || '');
    return JSON.stringify([nodes, progs]);
  }

  function apply(html) {
    const tpl = document.createElement('template');
    tpl.innerHTML = html;
    const next = tpl.content;
    if (shape(next) !== shape(table)) {
      table.replaceChildren(next);
      updateSummary();
      return;
    }
    const heads = table.querySelectorAll('thead th');
    next.querySelectorAll('thead th').forEach((th, i) => {
      if (th.outerHTML !== heads[i].outerHTML) heads[i].replaceWith(th);
    });
    const rows = table.querySelectorAll('tbody tr');
    next.querySelectorAll('tbody tr').forEach((tr, i) => {
      const olds = Array.from(rows[i].children);
      Array.from(tr.children).forEach((cell, j) => {
        const old = olds[j];
        if (!old || cell.outerHTML === old.outerHTML) return;
        if (cell.dataset.key !== undefined && cell.dataset.key === old.dataset.key) {
          const badge = cell.querySelector('.badge');
          const was = old.querySelector('.badge');
          if (badge && was) was.title = badge.title;
          return;
        }
        old.replaceWith(cell);
        if (cell.dataset.state !== old.dataset.state) cell.classList.add('flash');
      });
    });
    updateSummary();
  }

  function updateSummary() {
    const counts = {};
    for (const td of table.querySelectorAll('td.cell[data-state]')) {
      const s = td.dataset.state.toLowerCase();
      counts[s] = (counts[s] || 0) + 1;
    }
    const nodes = table.querySelectorAll('thead th.node').length;
    const down = table.querySelectorAll('thead th.node.unreachable').length;
    summary.replaceChildren();
    const part = (n, text, cls) => {
      if (summary.childNodes.length) summary.append(' · ');
      const b = document.createElement('b');
      b.textContent = n;
      if (cls) b.className = cls;
      summary.append(b, ' ' + text);
    };
    part(nodes, nodes === 1 ? 'node' : 'nodes');
    if (down) part(down, 'unreachable', 'bad');
    for (const s of order) {
      if (counts[s]) part(counts[s], s);
    }
  }

  function setLive(on, text) {
    live.classList.toggle('on', on);
    live.textContent = text || (on ? 'live' : 'reconnecting…');
  }

  window.liveStream(() => 'ui/fleet?selector=' + encodeURIComponent(table.dataset.selector || ''), {
    snapshot: (e) => {
      apply(JSON.parse(e.data).html);
      setLive(true);
    },
    supervisor: (e) => {
      if (JSON.parse(e.data).down) setLive(false, 'daemon down');
    },
  }, setLive);
  updateSummary();
})();

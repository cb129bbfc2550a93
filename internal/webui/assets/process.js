// The process page's pictures and log search. The charts (CPU and resident
// memory over the last hour) and the timeline of starts and exits are SVG
// drawn here from history.json, redrawn as new samples come; the search
// highlights matches in the log that tail.js follows. Nothing is fetched
// from anywhere but this page's own server.
'use strict';
(() => {
  const NS = 'http://www.w3.org/2000/svg';
  const hour = 3600 * 1000;

  function svgEl(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const pad = (n) => String(n).padStart(2, '0');
  const hm = (t) => { const d = new Date(t); return pad(d.getHours()) + ':' + pad(d.getMinutes()); };
  const hms = (t) => hm(t) + ':' + pad(new Date(t).getSeconds());

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)) + ' ' + units[i];
  }
  const percent = (n) => (n < 10 && n > 0 ? n.toFixed(1) : Math.round(n)) + '%';

  // niceMax is the smallest of 1, 2, 2.5, 5 times a power of ten at least v.
  function niceMax(v, floor) {
    v = Math.max(v, floor);
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  // bytesMax is the smallest power of two bytes, from 1 KiB, at least v:
  // its half and itself are round numbers of KiB, MiB or GiB.
  function bytesMax(v) {
    let m = 1024;
    while (m < v) m *= 2;
    return m;
  }

  // A chart's frame: the plot area inside the axis labels. One unit is one
  // pixel of the figure's width, so text keeps its size at any width.
  const L = 52, R = 10, T = 8;

  function frame(fig, height, start, end) {
    const B = 18;
    const W = Math.max(fig.querySelector('.plot').clientWidth, 160);
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${height}`, width: W, height, role: 'img' });
    const x = (t) => L + (t - start) / (end - start) * (W - L - R);
    // The time axis: a line and a label at each quarter of an hour.
    const quarter = 15 * 60 * 1000;
    for (let t = Math.ceil(start / quarter) * quarter; t <= end; t += quarter) {
      svg.append(svgEl('line', { class: 'tick', x1: x(t), x2: x(t), y1: T, y2: height - B }));
      svg.append(svgEl('text', { class: 'axis x', x: x(t), y: height - 4, 'text-anchor': 'middle' }, hm(t)));
    }
    return { svg, x, W, top: T, bottom: height - B };
  }

  // chart draws one series: a line through every sample in the window,
  // broken where the process restarted or samples are missing.
  function chart(fig, samples, value, yMax, format, start, end, interval) {
    const f = frame(fig, 150, start, end);
    const W = f.W;
    const y = (v) => f.bottom - Math.min(v / yMax, 1) * (f.bottom - f.top);
    for (const frac of [0, 0.5, 1]) {
      const v = yMax * frac;
      f.svg.append(svgEl('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      f.svg.append(svgEl('text', { class: 'axis y', x: L - 5, y: y(v) + 4, 'text-anchor': 'end' }, format(v)));
    }
    let d = '';
    let prev = null;
    const points = [];
    for (const s of samples) {
      const t = Date.parse(s.time);
      if (!(t >= start && t <= end)) continue;
      const joined = prev && prev.pid === s.pid && t - prev.t <= 3 * interval;
      d += (joined ? 'L' : 'M') + f.x(t).toFixed(1) + ',' + y(value(s)).toFixed(1);
      prev = { pid: s.pid, t };
      points.push({ t, v: value(s), x: f.x(t), y: y(value(s)) });
    }
    f.svg.append(svgEl('path', { class: 'line', d }));
    const dot = svgEl('circle', { class: 'cursor', r: 3, cx: 0, cy: 0, visibility: 'hidden' });
    f.svg.append(dot);
    const latest = fig.querySelector('.latest');
    const last = points.length ? format(points[points.length - 1].v) : 'no samples';
    latest.textContent = last;
    // Hovering shows the nearest sample.
    f.svg.addEventListener('pointermove', (ev) => {
      if (!points.length) return;
      const box = f.svg.getBoundingClientRect();
      const vx = (ev.clientX - box.left) / box.width * W;
      let best = points[0];
      for (const p of points) if (Math.abs(p.x - vx) < Math.abs(best.x - vx)) best = p;
      dot.setAttribute('cx', best.x);
      dot.setAttribute('cy', best.y);
      dot.setAttribute('visibility', 'visible');
      latest.textContent = format(best.v) + ' at ' + hms(best.t);
    });
    f.svg.addEventListener('pointerleave', () => {
      dot.setAttribute('visibility', 'hidden');
      latest.textContent = last;
    });
    fig.querySelector('.plot').replaceChildren(f.svg);
  }

  function markTitle(m) {
    let s = hms(Date.parse(m.time)) + ' ' + ({ start: 'started', exit: 'exited', fatal: 'gave up' }[m.kind] || m.kind);
    if (m.state) s += ' (' + m.state + ')';
    if (m.pid) s += ', pid ' + m.pid;
    if (m.signal) s += ', killed by ' + m.signal;
    else if (m.exit_code !== undefined && m.exit_code !== null) s += ', exit status ' + m.exit_code;
    if (m.expected === true) s += ', expected';
    if (m.expected === false) s += ', unexpected';
    return s;
  }

  // timeline draws a mark per start (upper row) and exit (lower row), an
  // unexpected exit or a fatal state in the colour of failure.
  function timeline(fig, marks, start, end) {
    const f = frame(fig, 76, start, end);
    const W = f.W;
    const rows = { start: f.top + 12, exit: f.bottom - 14 };
    f.svg.append(svgEl('line', { class: 'grid', x1: L, x2: W - R, y1: f.bottom, y2: f.bottom }));
    f.svg.append(svgEl('text', { class: 'axis y', x: L - 5, y: rows.start + 4, 'text-anchor': 'end' }, 'starts'));
    f.svg.append(svgEl('text', { class: 'axis y', x: L - 5, y: rows.exit + 4, 'text-anchor': 'end' }, 'exits'));
    let starts = 0, exits = 0, unexpected = 0;
    for (const m of marks) {
      const t = Date.parse(m.time);
      if (!(t >= start && t <= end)) continue;
      const isStart = m.kind === 'start';
      const bad = m.kind === 'fatal' || m.expected === false;
      if (isStart) starts++; else exits++;
      if (bad) unexpected++;
      const cls = 'mark ' + (isStart ? 'start' : bad ? 'exit unexpected' : 'exit expected') + ' kind-' + m.kind;
      const cx = f.x(t), cy = isStart ? rows.start : rows.exit;
      const shape = isStart
        ? svgEl('path', { class: cls, d: `M${(cx - 6).toFixed(1)},${cy + 5}L${cx.toFixed(1)},${cy - 6}L${(cx + 6).toFixed(1)},${cy + 5}Z` })
        : svgEl('circle', { class: cls, cx: cx.toFixed(1), cy, r: 6 });
      shape.append(svgEl('title', {}, markTitle(m)));
      f.svg.append(shape);
    }
    fig.querySelector('.latest').textContent = starts + (starts === 1 ? ' start, ' : ' starts, ') +
      exits + (exits === 1 ? ' exit' : ' exits') + (unexpected ? ', ' + unexpected + ' unexpected' : '');
    fig.querySelector('.plot').replaceChildren(f.svg);
  }

  const section = document.getElementById('history');
  const note = document.getElementById('history-note');
  let drawn = null; // what was drawn last, to draw again at another width

  function draw(d) {
    drawn = d;
    chart(document.getElementById('chart-cpu'), d.samples, (s) => s.cpu_percent || 0,
      niceMax(Math.max(0, ...d.inWindow.map((s) => s.cpu_percent || 0)), 5), percent, d.start, d.end, d.interval);
    chart(document.getElementById('chart-rss'), d.samples, (s) => s.rss_bytes || 0,
      bytesMax(Math.max(0, ...d.inWindow.map((s) => s.rss_bytes || 0))), bytes, d.start, d.end, d.interval);
    timeline(document.getElementById('timeline'), d.marks, d.start, d.end);
  }

  async function load() {
    let resp, h;
    try {
      resp = await fetch('history.json?processname=' + encodeURIComponent(section.dataset.processname),
        { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
      h = await resp.json();
    } catch (e) {
      return 30000; // try again later
    }
    const figures = section.querySelectorAll('figure');
    if (!resp.ok) {
      for (const fig of figures) fig.hidden = true;
      note.textContent = h.message ? 'No history to draw: ' + h.message + '.' : 'No history to draw.';
      note.hidden = false;
      return 30000;
    }
    for (const fig of figures) fig.hidden = false;
    note.hidden = true;
    const samples = h.samples || [];
    const marks = h.marks || [];
    const interval = Math.max(Number(h.interval_seconds) || 10, 1) * 1000;
    // The window ends at the server's now, or at the newest datum when
    // that is later (the Date header counts whole seconds).
    let end = Date.parse(resp.headers.get('Date')) || Date.now();
    for (const s of samples) end = Math.max(end, Date.parse(s.time) || 0);
    for (const m of marks) end = Math.max(end, Date.parse(m.time) || 0);
    const start = end - hour;
    const inWindow = samples.filter((s) => Date.parse(s.time) >= start);
    draw({ samples, marks, inWindow, start, end, interval });
    return Math.max(interval, 5000);
  }

  let resizing = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { if (drawn) draw(drawn); }, 100);
  });

  async function refresh() {
    const next = await load();
    setTimeout(refresh, next);
  }
  if (section && section.querySelector('figure')) refresh();

  // The log search: matches highlighted with <mark> in the followed log,
  // or, with "Matching lines", in a copy holding those lines alone.
  const pre = document.getElementById('tail');
  const copy = document.getElementById('matches');
  const box = document.getElementById('search-box');
  if (!pre || !box) return;
  const input = document.getElementById('search');
  const regexp = document.getElementById('regexp');
  const matching = document.getElementById('matching');
  const count = document.getElementById('count');
  box.hidden = false;
  let marked = false;
  let current = -1;

  function pattern() {
    const q = input.value;
    if (q === '') return null;
    try {
      return new RegExp(regexp.checked ? q : q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    } catch (e) {
      return e;
    }
  }

  function unmark() {
    if (!marked) return;
    for (const m of pre.querySelectorAll('mark')) m.replaceWith(m.textContent);
    pre.normalize();
    marked = false;
  }

  // highlight wraps every match in el's own text (not the notices tail.js
  // inserts) and counts them.
  function highlight(el, re) {
    let n = 0;
    for (const node of Array.from(el.childNodes)) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      const text = node.data;
      const out = document.createDocumentFragment();
      let at = 0;
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0] === '') { re.lastIndex++; continue; }
        out.append(text.slice(at, m.index));
        const mark = document.createElement('mark');
        mark.textContent = m[0];
        out.append(mark);
        at = m.index + m[0].length;
        n++;
      }
      if (at === 0) continue;
      out.append(text.slice(at));
      node.replaceWith(out);
    }
    return n;
  }

  function run() {
    unmark();
    current = -1;
    const re = pattern();
    input.classList.toggle('invalid', re instanceof Error);
    if (re === null || re instanceof Error) {
      count.textContent = re ? 'invalid pattern' : '';
      copy.hidden = true;
      pre.hidden = false;
      return;
    }
    let n;
    if (matching.checked) {
      copy.textContent = pre.textContent.split('\n').filter((line) => { re.lastIndex = 0; return re.test(line); }).join('\n');
      n = highlight(copy, re);
      copy.hidden = false;
      pre.hidden = true;
    } else {
      n = highlight(pre, re);
      marked = n > 0;
      copy.hidden = true;
      pre.hidden = false;
    }
    count.textContent = n === 1 ? '1 match' : n + ' matches';
  }

  // Enter goes to the next match.
  function next() {
    const marks = (copy.hidden ? pre : copy).querySelectorAll('mark');
    if (!marks.length) return;
    if (marks[current]) marks[current].classList.remove('current');
    current = (current + 1) % marks.length;
    marks[current].classList.add('current');
    marks[current].scrollIntoView({ block: 'center' });
  }

  let pending = 0;
  function later() {
    clearTimeout(pending);
    pending = setTimeout(run, 150);
  }
  input.addEventListener('input', later);
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); next(); } });
  regexp.addEventListener('change', run);
  matching.addEventListener('change', run);
  pre.addEventListener('logtext', () => { if (input.value !== '') later(); });
})();

// The events page made live: each event on the daemon's bus (ui/bus) goes
// on top of the list, which keeps the newest data-max. Pause holds new
// events back until resumed; the type filter hides the others. Without
// this script the page shows the events as they were, filtered by a form.
'use strict';
(() => {
  const list = document.getElementById('events');
  const live = document.getElementById('live');
  const type = document.getElementById('type');
  const pause = document.getElementById('pause');
  const pending = document.getElementById('pending');
  const none = document.getElementById('none');
  const max = Number(list.dataset.max) || 500;
  let paused = false;
  let held = []; // what came while paused, oldest first
  let dropped = 0; // held back and then pushed out by newer ones

  function shows(li) {
    const t = type.value;
    return t === '' || li.classList.contains('gap') || li.dataset.types.split(' ').includes(t);
  }

  function showNone() {
    none.hidden = list.querySelector('li:not([hidden])') !== null;
  }

  function add(html) {
    list.insertAdjacentHTML('afterbegin', html);
    const li = list.firstElementChild;
    li.hidden = !shows(li);
    li.classList.add('flash');
    while (list.children.length > max) list.lastElementChild.remove();
  }

  function gap(n) {
    const li = document.createElement('li');
    li.className = 'ev gap';
    li.textContent = n + (n === 1 ? ' event' : ' events') + ' missed';
    return li.outerHTML;
  }

  function receive(html) {
    if (paused) {
      held.push(html);
      if (held.length > max) {
        dropped += held.length - max;
        held = held.slice(-max);
      }
      pending.textContent = held.length + ' new' + (dropped ? ', ' + dropped + ' left out' : '');
      return;
    }
    add(html);
    showNone();
  }

  pause.hidden = false;
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    pause.classList.toggle('current', paused);
    if (paused) return;
    if (dropped) add(gap(dropped));
    for (const html of held) add(html);
    held = [];
    dropped = 0;
    pending.textContent = '';
    showNone();
  });

  type.addEventListener('change', () => {
    for (const li of list.children) li.hidden = !shows(li);
    showNone();
    const url = new URL(window.location.href);
    url.search = '';
    if (type.value) url.searchParams.set('type', type.value);
    history.replaceState(null, '', url);
  });
  type.form.addEventListener('submit', (e) => e.preventDefault());

  function setLive(on) {
    live.classList.toggle('on', on);
    live.textContent = on ? 'live' : 'reconnecting…';
  }

  // The stream goes on after the newest event shown (after a dropped
  // stream the browser says so itself).
  window.liveStream(() => 'ui/bus?after=' + encodeURIComponent(list.dataset.last), {
    event: (e) => {
      const d = JSON.parse(e.data);
      list.dataset.last = String(d.seq);
      receive(d.html);
    },
    gap: (e) => receive(gap(JSON.parse(e.data).missed)),
  }, setLive);
})();

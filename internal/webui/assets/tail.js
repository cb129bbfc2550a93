// The tail view follows the log (ui/tail, server-sent events) from where
// the page's text ends; the process page's log too. Each change of the
// text fires a "logtext" event at the <pre> (the process page's search
// listens).
'use strict';
(() => {
  const pre = document.getElementById('tail');
  const live = document.getElementById('tail-live') || document.getElementById('live');
  const follow = document.getElementById('follow');
  const wrap = document.getElementById('wrap');
  const maxChars = 2000000; // keep the page light: older text goes

  let placeholder = pre.dataset.placeholder === 'true';
  pre.scrollTop = pre.scrollHeight;
  if (wrap) wrap.addEventListener('change', () => pre.classList.toggle('wrap', wrap.checked));

  function atBottom() {
    return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
  }

  function append(node) {
    const stick = follow && follow.checked && atBottom();
    if (placeholder) {
      pre.textContent = '';
      placeholder = false;
    }
    pre.append(node);
    if (pre.textContent.length > maxChars) {
      pre.textContent = pre.textContent.slice(-maxChars / 2);
    }
    pre.dispatchEvent(new Event('logtext'));
    if (stick) pre.scrollTop = pre.scrollHeight;
  }

  function mark(text) {
    const span = document.createElement('span');
    span.className = 'mark';
    span.textContent = '==> ' + text + ' <==';
    append(span);
  }

  if (pre.dataset.follow !== 'true') return;
  const url = 'ui/tail?processname=' + encodeURIComponent(pre.dataset.processname) +
    '&channel=' + encodeURIComponent(pre.dataset.channel) + '&offset=' + encodeURIComponent(pre.dataset.offset);
  const es = new EventSource(url);
  es.addEventListener('open', () => { live.classList.add('on'); live.textContent = 'following'; });
  es.addEventListener('message', (e) => append(document.createTextNode(JSON.parse(e.data).t)));
  es.addEventListener('reset', (e) => {
    const d = JSON.parse(e.data);
    if (d.reason === 'truncated') mark('File truncated');
    else if (d.reason === 'rotated') mark('Log rotated or cleared');
    else mark(d.skipped + ' bytes skipped');
  });
  es.addEventListener('error', () => {
    live.classList.remove('on');
    live.textContent = es.readyState === EventSource.CLOSED ? 'stopped' : 'reconnecting…';
  });
})();

// liveStream follows a server-sent events stream for as long as the page
// is open. EventSource retries a dropped stream itself but gives up for
// good on a refused or failed response: then a new one is started, backing
// off. url() is asked at each start (a stream may resume from where it
// was); on maps event names to handlers; setLive(up) is told when the
// stream opens or fails.
'use strict';
window.liveStream = (url, on, setLive) => {
  let delay = 1000;
  function connect() {
    const es = new EventSource(url());
    es.addEventListener('open', () => { delay = 1000; setLive(true); });
    for (const [name, handler] of Object.entries(on)) es.addEventListener(name, handler);
    es.addEventListener('error', () => {
      setLive(false);
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      }
    });
  }
  connect();
};

// postForms sends the page's action forms (method post) with fetch rather
// than a reload: the button is busy meanwhile, a data-confirm is asked
// first, and the JSON outcome ({"message", "error"}) goes to
// show(message, isError). What the action changed arrives by the page's
// live stream. Without script the forms post and the server redirects.
'use strict';
window.postForms = (show) => {
  document.addEventListener('submit', async (ev) => {
    const form = ev.target;
    const button = ev.submitter;
    if (form.method.toLowerCase() !== 'post' || !button) return;
    ev.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const body = new URLSearchParams(new FormData(form));
    if (button.name) body.append(button.name, button.value);
    button.disabled = true;
    button.classList.add('busy');
    try {
      const resp = await fetch(form.getAttribute('action'), {
        method: 'POST', body, credentials: 'same-origin',
        headers: { 'Accept': 'application/json' },
      });
      let data;
      try {
        data = await resp.json();
      } catch (e) {
        data = { message: 'ERROR: ' + resp.status + ' ' + resp.statusText, error: true };
      }
      show(data.message, data.error);
      if (form.classList.contains('confirm')) form.remove();
    } catch (e) {
      show('ERROR: ' + e.message, true);
    } finally {
      // The form may have been replaced meanwhile; then this is a no-op.
      button.disabled = false;
      button.classList.remove('busy');
    }
  });
};

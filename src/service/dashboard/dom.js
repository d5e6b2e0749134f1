// Small helpers over the page's elements, shared by the dashboard's modules.

export const $ = (id) => document.getElementById(id);

export function setText(id, text) {
  $(id).textContent = text;
}

/** `loading`, `ready` or `error` on the body: for styling, and for tests to know when the page has settled. */
export function setPhase(phase) {
  document.body.dataset.state = phase;
}

/** Shows the service's message for a failed call (or hides the box with `null`) and dims the stale data. */
export function showError(error) {
  const box = $('error');
  box.hidden = !error;
  box.textContent = error ? error.message : '';
  document.body.classList.toggle('has-error', Boolean(error));
}

// What every page of www/ shares: finding elements, the status line in the
// header, and wall-clock times. Text goes in with textContent only.

export const $ = (id) => document.getElementById(id);

// Writes only on change, so a screen reader hears a live region once.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// The header's #status line; `state` picks its colour in style.css
// (connected, connecting, disconnected, error, loaded).
export function setStatus(text, state) {
  const status = $('status');
  setText(status, text);
  status.dataset.state = state || '';
}

export function pad2(n) {
  return String(n).padStart(2, '0');
}

// "hh:mm:ss" in local time.
export function clockTime(date) {
  return pad2(date.getHours()) + ':' + pad2(date.getMinutes()) + ':' + pad2(date.getSeconds());
}

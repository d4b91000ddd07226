// Small DOM helpers. Text always goes in as text nodes, never as HTML.

// h('a', {href: '#x', class: 'c', onclick: fn}, 'text', child, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value') {
      el.value = value;
    } else if (key === 'checked' || key === 'disabled' || key === 'selected' || key === 'hidden') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// "3 min ago" with the full time as a tooltip.
export function timeAgo(iso) {
  if (!iso) return h('span', {class: 'muted'}, '–');
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return h('span', {}, iso);
  const s = Math.round((Date.now() - t.getTime()) / 1000);
  let text;
  if (s < 5) text = 'just now';
  else if (s < 60) text = `${s} s ago`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min ago`;
  else if (s < 86400) text = `${Math.floor(s / 3600)} h ago`;
  else text = t.toISOString().slice(0, 10);
  return h('time', {datetime: iso, title: t.toLocaleString()}, text);
}

export function chips(map) {
  const entries = Object.entries(map || {});
  if (!entries.length) return h('span', {class: 'muted'}, '–');
  return entries.map(([k, v]) => h('span', {class: 'chip'}, v === '' ? k : `${k}=${v}`));
}

// A form field: label, control, hint and an error line the control points to.
let fieldSeq = 0;
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const err = h('div', {class: 'field-error', id: `${id}-error`, 'aria-live': 'polite'});
  const hintEl = hint ? h('div', {class: 'hint', id: `${id}-hint`}, hint) : null;
  control.setAttribute('aria-describedby', [hintEl && hintEl.id, err.id].filter(Boolean).join(' '));
  return h('div', {class: 'field'}, h('label', {for: id}, labelText), control, hintEl, err);
}

// Shows message under the control (or clears it with '').
export function setFieldError(control, message) {
  const err = document.getElementById(`${control.id}-error`);
  if (err) err.textContent = message || '';
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

export function progress(text) {
  const label = h('span', {}, text || '');
  const el = h('div', {class: 'progress', role: 'status', hidden: !text},
    h('span', {class: 'spinner', 'aria-hidden': 'true'}), label);
  return {
    el,
    show(t) { label.textContent = t; el.hidden = false; },
    hide() { el.hidden = true; },
  };
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); },
      {once: true});
  });
}

// A refresh loop that pauses while the tab is hidden and stops on cleanup.
// The answer stops it; its now() refreshes at once (after a change).
export function poll(fn, intervalMs) {
  let stopped = false;
  let timer = null;
  let running = false;
  let again = false;
  const tick = async () => {
    timer = null;
    if (stopped) return;
    running = true;
    if (!document.hidden) await fn();
    running = false;
    if (stopped) return;
    if (again) {
      again = false;
      tick();
    } else {
      timer = setTimeout(tick, intervalMs);
    }
  };
  tick();
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  stop.now = () => {
    if (running) {
      again = true;
    } else if (!stopped) {
      clearTimeout(timer);
      tick();
    }
  };
  return stop;
}

// A table cell that turns into a "label: value" row on narrow windows.
export function cell(label, attrs, ...content) {
  return h('td', {...attrs, 'data-label': label}, h('div', {}, ...content));
}

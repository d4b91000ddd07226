// Recent asynchronous requests and the failed ("dead-letter") ones, with
// retry and delete, from /system/async-requests. A gateway without a queue
// answers 501 there: the page says so instead of showing an empty list.

import {asyncApi} from './api.js';
import {cell, clear, h, poll, timeAgo} from './dom.js';

const kStatuses = ['', 'pending', 'running', 'retrying', 'failed', 'completed'];

export function render(main, ctx) {
  const status = h('select', {id: 'async-status', 'aria-label': 'Status'},
    kStatuses.map((s) => h('option', {value: s}, s || 'any status')));
  const allNs = h('input', {type: 'checkbox', id: 'async-all-ns'});
  const limit = h('select', {id: 'async-limit', 'aria-label': 'How many'},
    [50, 100, 500].map((n) => h('option', {value: n}, `latest ${n}`)));
  const recent = h('div', {id: 'async-recent', 'aria-live': 'polite'}, h('p', {class: 'muted'}, 'Loading…'));
  const dead = h('div', {id: 'async-failed', 'aria-live': 'polite'});
  const toolbar = h('div', {class: 'toolbar'}, status, limit,
    h('label', {class: 'check'}, allNs, 'All namespaces'));
  const deadSection = h('section', {class: 'panel'}, h('h2', {}, 'Failed (dead letters)'), dead);
  main.append(
    h('h1', {}, 'Asynchronous requests'),
    toolbar,
    h('section', {class: 'panel'}, h('h2', {}, 'Recent'), recent),
    deadSection);

  const query = (st) => ({status: st, namespace: allNs.checked ? '' : ctx.ns, limit: limit.value});

  function table(items, emptyText) {
    if (!items.length) return h('div', {class: 'empty'}, emptyText);
    return h('table', {class: 'cards'},
      h('thead', {}, h('tr', {}, ['Call', 'Function', 'Request', 'Status', 'Attempts', 'Enqueued',
        'Last error', 'Callback', ''].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, items.map((r) => h('tr', {'data-call': r.callId},
        cell('Call', {class: 'mono wrap'}, r.callId),
        cell('Function', {}, `${r.function}.${r.namespace}`),
        cell('Request', {class: 'mono wrap'}, `${r.method} ${r.path || '/'}`),
        cell('Status', {}, h('span', {class: `pill ${pillFor(r.status)}`}, r.status)),
        cell('Attempts', {class: 'num'}, String(r.attempts ?? 0)),
        cell('Enqueued', {}, timeAgo(r.enqueuedAt)),
        cell('Last error', {class: 'wrap'}, r.lastError || ''),
        cell('Callback', {class: 'wrap'},
          r.callbackUrl ? `${r.callbackUrl}${r.callbackStatus ? ` → ${r.callbackStatus}` : ''}` : ''),
        cell('Actions', {}, h('div', {class: 'actions'},
          r.status === 'failed' ? h('button', {type: 'button', onclick: () => retry(r)}, 'Retry') : null,
          r.status === 'failed' || r.status === 'completed'
            ? h('button', {type: 'button', class: 'danger', onclick: () => remove(r)}, 'Delete') : null))))));
  }

  function unavailable(e) {
    return h('div', {class: 'empty', id: 'async-unavailable'},
      h('p', {}, h('strong', {}, 'The asynchronous queue is not available on this gateway.')),
      h('p', {}, e.status === 501 || e.status === 404
        ? 'Asynchronous invocations (/async-function/…) are off, so there are no requests to list.'
        : e.message));
  }

  async function load() {
    try {
      const [items, failed] = await Promise.all([
        asyncApi.list(query(status.value)),
        asyncApi.list(query('failed')),
      ]);
      ctx.setConn(true);
      clear(recent).append(table(items || [], 'No asynchronous requests.'));
      clear(dead).append(table(failed || [], 'No failed requests.'));
      deadSection.hidden = false;
      toolbar.hidden = false;
    } catch (e) {
      if (e.status === 501 || e.status === 404) {
        ctx.setConn(true);
        clear(recent).append(unavailable(e));
        deadSection.hidden = true;
        toolbar.hidden = true;
        return;
      }
      ctx.showError(`Could not list asynchronous requests: ${e.message}`);
    }
  }

  async function retry(r) {
    try {
      await asyncApi.retry(r.callId);
    } catch (e) {
      ctx.showError(`Could not retry ${r.callId}: ${e.message}`);
    }
    load();
  }

  async function remove(r) {
    if (!(await ctx.confirm('Delete this request?', `${r.callId} (${r.function}.${r.namespace}) is removed from the queue.`))) return;
    try {
      await asyncApi.remove(r.callId);
    } catch (e) {
      ctx.showError(`Could not delete ${r.callId}: ${e.message}`);
    }
    load();
  }

  for (const el of [status, allNs, limit]) el.addEventListener('change', load);
  return poll(load, 3000);
}

function pillFor(status) {
  return {completed: 'ready', failed: 'failed', pending: 'starting', running: 'starting',
    retrying: 'starting'}[status] || '';
}

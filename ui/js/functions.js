// The functions table of the selected namespace, refreshed every 2 s, with
// each function's calls per second over the last 15 minutes as a sparkline
// (from the metrics history, when the gateway keeps one).

import {functionsApi, historyApi} from './api.js';
import {formatValue, sparkline} from './charts.js';
import {cell, chips, clear, h, poll, timeAgo} from './dom.js';

export function stateOf(f) {
  if (f.replicas === 0 && f.availableReplicas === 0) return ['stopped', 'scaled to zero'];
  if (f.availableReplicas >= Math.max(1, f.replicas)) return ['ready', 'ready'];
  return ['starting', 'starting'];
}

export function render(main, ctx) {
  const filter = h('input', {type: 'search', placeholder: 'Filter by name, image or label',
    'aria-label': 'Filter functions', class: 'grow'});
  const body = h('div', {'aria-live': 'polite', 'aria-busy': 'true'},
    h('p', {class: 'muted'}, 'Loading functions…'));
  main.append(
    h('h1', {}, 'Functions', h('span', {class: 'sub'}, `in ${ctx.ns}`)),
    h('div', {class: 'toolbar'}, filter, h('a', {href: '#/deploy', class: 'button'}, 'Deploy a function')),
    h('section', {class: 'panel'}, body));

  let last = null;
  let sparks = null; // name -> summary, or null without a history
  const trend = (f) => {
    const s = sparks && sparks.get(f.name);
    if (!s) return h('span', {class: 'muted'}, sparks ? 'no data yet' : '–');
    const calls = (s.spark || []).some((v) => v > 0);
    return h('span', {class: 'trend'}, sparkline(s.spark || [], `calls per second of ${f.name}, last 15 minutes`),
      ' ', h('span', {class: 'muted'}, calls ? formatValue(s.rate ?? 0, '/s') : 'no calls'));
  };
  const draw = () => {
    if (!last) return;
    body.setAttribute('aria-busy', 'false');
    const q = filter.value.trim().toLowerCase();
    const rows = last.filter((f) => !q || f.name.includes(q) || (f.image || '').toLowerCase().includes(q) ||
      Object.entries(f.labels || {}).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(q)));
    clear(body);
    if (!last.length) {
      body.append(h('div', {class: 'empty'}, `No functions in ${ctx.ns} yet. `,
        h('a', {href: '#/deploy'}, 'Deploy one'), '.'));
      return;
    }
    if (!rows.length) {
      body.append(h('div', {class: 'empty'}, 'No function matches the filter.'));
      return;
    }
    rows.sort((a, b) => a.name.localeCompare(b.name));
    body.append(h('table', {class: 'cards', id: 'functions-table'},
      h('thead', {}, h('tr', {},
        h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Namespace'),
        h('th', {scope: 'col'}, 'Image'), h('th', {scope: 'col', class: 'num'}, 'Replicas'),
        h('th', {scope: 'col', class: 'num'}, 'Invocations'), h('th', {scope: 'col'}, 'Last 15 min'),
        h('th', {scope: 'col'}, 'Created'),
        h('th', {scope: 'col'}, 'Labels'))),
      h('tbody', {}, rows.map((f) => {
        const [state, label] = stateOf(f);
        return h('tr', {'data-function': f.name},
          cell('Name', {},
            h('a', {href: `#/function/${encodeURIComponent(f.namespace || ctx.ns)}/${encodeURIComponent(f.name)}`},
              f.name), ' ', h('span', {class: `pill ${state}`}, label)),
          cell('Namespace', {}, f.namespace || ctx.ns),
          cell('Image', {class: 'wrap mono'}, f.image),
          cell('Replicas', {class: 'num replicas'},
            `${f.availableReplicas ?? 0}/${f.replicas ?? 0}`),
          cell('Invocations', {class: 'num'}, String(Math.round(f.invocationCount || 0))),
          cell('Last 15 min', {class: 'spark-cell'}, trend(f)),
          cell('Created', {}, timeAgo(f.createdAt)),
          cell('Labels', {class: 'wrap'}, chips(f.labels)));
      }))));
  };
  filter.addEventListener('input', draw);

  const stop = poll(async () => {
    try {
      const [list, history] = await Promise.all([functionsApi.list(ctx.ns),
        // Only the summaries: since=now leaves out the VM's 900-point series.
        historyApi.get({namespace: ctx.ns, since: Math.floor(Date.now() / 1000)}).catch(() => null)]);
      last = Array.isArray(list) ? list : [];
      sparks = history && Array.isArray(history.functions)
        ? new Map(history.functions.map((s) => [s.name, s])) : null;
      ctx.setConn(true);
      ctx.clearError();
      draw();
    } catch (e) {
      ctx.setConn(false, 'gateway unreachable');
      ctx.showError(`Could not list functions: ${e.message}`);
      if (!last) {
        clear(body).append(h('p', {class: 'error'}, 'The function list could not be loaded.'));
      }
    }
  }, 2000);
  return stop;
}

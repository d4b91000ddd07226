// The dashboard: the VM's calls, errors, latency, CPU, memory and queue
// over time, and the busiest and slowest functions, live from the metrics
// history every 2 s.

import {HistoryFeed, TimeChart, formatValue, rangePicker, rangeWords, sparkline} from './charts.js';
import {cell, clear, h, poll} from './dom.js';

const kPaths = ['rate.2xx', 'rate.4xx', 'rate.5xx', 'latency.p50', 'latency.p99', 'cpu', 'memory', 'queued'];
const kTop = 5;

export function render(main, ctx) {
  const abort = new AbortController();
  const feed = new HistoryFeed({}, kPaths, '15m');
  const status = h('p', {class: 'muted', role: 'status'}, 'Loading the metrics history…');
  const grid = h('div', {class: 'charts'});
  const noCalls = (r) => `No calls in ${rangeWords(r)}.`;
  const memoryTitle = h('span', {}, 'Memory in use');
  const charts = [
    new TimeChart(grid, {id: 'chart-vm-rate', title: 'Calls by status, all functions', unit: '/s', empty: noCalls,
      series: [{path: 'rate.2xx', label: '2xx', color: '--ok'}, {path: 'rate.4xx', label: '4xx', color: '--warn'},
        {path: 'rate.5xx', label: '5xx', color: '--bad'}]}),
    new TimeChart(grid, {id: 'chart-vm-errors', title: 'Errors (5xx)', unit: '/s',
      empty: (r) => `No errors in ${rangeWords(r)}.`,
      series: [{path: 'rate.5xx', label: '5xx', color: '--bad'}]}),
    new TimeChart(grid, {id: 'chart-vm-latency', title: 'Latency, all functions', unit: 'ms', empty: noCalls,
      series: [{path: 'latency.p50', label: 'p50', color: '--accent'}, {path: 'latency.p99', label: 'p99', color: '--bad'}]}),
    new TimeChart(grid, {id: 'chart-vm-cpu', title: 'CPU busy (cores)', unit: 'cores',
      empty: 'CPU use is not readable on this host.',
      series: [{path: 'cpu', label: 'cores', color: '--accent'}]}),
    new TimeChart(grid, {id: 'chart-vm-memory', title: memoryTitle, unit: 'bytes',
      empty: 'Memory use is not readable on this host.',
      series: [{path: 'memory', label: 'used', color: '--accent'}]}),
    new TimeChart(grid, {id: 'chart-vm-queue', title: 'Async queue depth', unit: '',
      empty: (r) => `Nothing queued in ${rangeWords(r)}.`,
      series: [{path: 'queued', label: 'waiting', color: '--warn'}]}),
  ];
  const byRate = h('div', {id: 'top-rate'});
  const byP99 = h('div', {id: 'top-p99'});
  const picker = rangePicker('15m', (r) => {
    feed.setRange(r);
    stop.now();
  });
  main.append(
    h('h1', {}, 'Dashboard', h('span', {class: 'sub'}, 'this VM')),
    h('section', {class: 'panel', 'aria-labelledby': 'vm-title'},
      h('div', {class: 'panel-head'}, h('h2', {id: 'vm-title'}, 'Traffic and resources'), picker), status, grid),
    h('div', {class: 'grid2'},
      h('section', {class: 'panel', 'aria-labelledby': 'busiest-title'},
        h('h2', {id: 'busiest-title'}, 'Busiest functions (last minute)'), byRate),
      h('section', {class: 'panel', 'aria-labelledby': 'slowest-title'},
        h('h2', {id: 'slowest-title'}, 'Slowest functions (p99, this minute)'), byP99)));

  function table(rows, value, unit, empty) {
    if (!rows.length) return h('p', {class: 'empty'}, empty);
    return h('table', {class: 'cards'},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Function'), h('th', {scope: 'col'}, 'Last 15 min'),
        h('th', {scope: 'col', class: 'num'}, unit === 'ms' ? 'p99' : 'Calls'))),
      h('tbody', {}, rows.map((f) => h('tr', {'data-function': f.name},
        cell('Function', {}, h('a', {href: `#/function/${encodeURIComponent(f.namespace)}/${encodeURIComponent(f.name)}`}, f.name),
          ' ', h('span', {class: 'muted'}, f.namespace)),
        cell('Last 15 min', {}, sparkline(f.spark || [], `calls per second of ${f.name}, last 15 minutes`)),
        cell(unit === 'ms' ? 'p99' : 'Calls', {class: 'num'}, formatValue(value(f), unit))))));
  }

  function drawTop(functions) {
    const busy = functions.filter((f) => f.rate > 0).sort((a, b) => b.rate - a.rate).slice(0, kTop);
    const slow = functions.filter((f) => f.p99 != null).sort((a, b) => b.p99 - a.p99).slice(0, kTop);
    clear(byRate).append(table(busy, (f) => f.rate, '/s', 'No function was called in the last minute.'));
    clear(byP99).append(table(slow, (f) => f.p99, 'ms', 'No function was called this minute.'));
  }

  const stop = poll(async () => {
    try {
      await feed.refresh(abort.signal);
      ctx.setConn(true);
      status.hidden = true;
      const total = feed.last.memoryTotal;
      memoryTitle.textContent = total ? `Memory in use (of ${formatValue(total, 'bytes')})` : 'Memory in use';
      for (const c of charts) c.update(feed);
      drawTop(feed.last.functions || []);
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.hidden = false;
      status.className = 'error';
      status.textContent = e.status === 501 ? 'The metrics history is off on this gateway (FAASD_METRICS_HISTORY).'
        : `Could not read the metrics history: ${e.message}`;
      if (!e.status) ctx.setConn(false, 'gateway unreachable');
    }
  }, 2000);

  return () => {
    abort.abort();
    stop();
    for (const c of charts) c.destroy();
  };
}

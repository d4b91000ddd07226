// The charts on a function's page: calls by status, latency percentiles,
// replicas with the scaler's changes marked, CPU and memory, queue depth;
// live from the metrics history every 2 s.

import {HistoryFeed, TimeChart, rangePicker, rangeWords} from './charts.js';
import {h, poll} from './dom.js';

const kPaths = ['rate.2xx', 'rate.4xx', 'rate.5xx', 'latency.p50', 'latency.p95', 'latency.p99',
  'replicas.ready', 'replicas.wanted', 'replicas.parked', 'cpu', 'memory', 'queued'];

export function metricsPanel(name, ns, signal) {
  const feed = new HistoryFeed({function: name, namespace: ns}, kPaths, '15m');
  const status = h('p', {class: 'muted', role: 'status'}, 'Loading the metrics history…');
  const grid = h('div', {class: 'charts'});
  const noCalls = (r) => `No calls in ${rangeWords(r)}.`;
  const charts = [
    new TimeChart(grid, {id: 'chart-rate', title: 'Calls by status', unit: '/s', empty: noCalls,
      series: [{path: 'rate.2xx', label: '2xx', color: '--ok'}, {path: 'rate.4xx', label: '4xx', color: '--warn'},
        {path: 'rate.5xx', label: '5xx', color: '--bad'}]}),
    new TimeChart(grid, {id: 'chart-latency', title: 'Latency', unit: 'ms', empty: noCalls,
      series: [{path: 'latency.p50', label: 'p50', color: '--accent'}, {path: 'latency.p95', label: 'p95', color: '--warn'},
        {path: 'latency.p99', label: 'p99', color: '--bad'}]}),
    new TimeChart(grid, {id: 'chart-replicas', title: 'Replicas', unit: '', markers: true,
      empty: (r) => `No replica in ${rangeWords(r)}: scaled to zero, or not yet started.`,
      series: [{path: 'replicas.ready', label: 'ready', color: '--ok'}, {path: 'replicas.wanted', label: 'wanted', color: '--accent'},
        {path: 'replicas.parked', label: 'parked', color: '--muted'}]}),
    new TimeChart(grid, {id: 'chart-cpu', title: 'CPU (cores)', unit: 'cores',
      empty: (r) => `No CPU use measured in ${rangeWords(r)}.`,
      series: [{path: 'cpu', label: 'cores', color: '--accent'}]}),
    new TimeChart(grid, {id: 'chart-memory', title: 'Memory', unit: 'bytes',
      empty: (r) => `No memory use measured in ${rangeWords(r)}.`,
      series: [{path: 'memory', label: 'memory', color: '--accent'}]}),
    new TimeChart(grid, {id: 'chart-queue', title: 'Async queue depth', unit: '',
      empty: (r) => `Nothing queued in ${rangeWords(r)}.`,
      series: [{path: 'queued', label: 'waiting', color: '--warn'}]}),
  ];
  const picker = rangePicker('15m', (r) => {
    feed.setRange(r);
    stop.now();
  });
  const panel = h('section', {class: 'panel', 'aria-labelledby': 'metrics-title', id: 'metrics-panel'},
    h('div', {class: 'panel-head'}, h('h2', {id: 'metrics-title'}, 'Metrics'), picker), status, grid);

  const stop = poll(async () => {
    try {
      await feed.refresh(signal);
      status.hidden = true;
      for (const c of charts) c.update(feed);
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.hidden = false;
      status.className = 'error';
      status.textContent = e.status === 501 ? 'The metrics history is off on this gateway (FAASD_METRICS_HISTORY).'
        : e.status === 404 ? 'No metrics yet: the function was just deployed, or is gone.'
          : `Could not read the metrics history: ${e.message}`;
    }
  }, 2000);
  signal.addEventListener('abort', () => {
    stop();
    for (const c of charts) c.destroy();
  });
  return panel;
}

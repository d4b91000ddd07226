// Charts of the metrics history (GET /system/metrics/history), drawn with
// uPlot (embedded under vendor/, loaded by index.html as window.uPlot).
//
// HistoryFeed polls one series (a function's, or the VM's) every 2 s,
// asking only for the points since its last one, and keeps the window of
// the chosen range. TimeChart draws some of its columns on a time axis
// fixed to that window, in the page's light or dark colours, with the
// scaler's changes as markers; with nothing to draw it says so in words.

import {historyApi} from './api.js';
import {clear, h} from './dom.js';

export const kRanges = {'15m': 15 * 60, '1h': 3600, '24h': 24 * 3600};

// "rate.2xx" of a history answer.
function column(answer, path) {
  let v = answer;
  for (const k of path.split('.')) v = v == null ? undefined : v[k];
  return Array.isArray(v) ? v : [];
}

// The points of one series over a range, kept up to date by polling.
export class HistoryFeed {
  constructor(query, paths, range) {
    this.query = query; // {function, namespace} or {namespace}
    this.paths = paths;
    this.range = range;
    this.reset();
  }

  reset() {
    this.t = [];
    this.cols = Object.fromEntries(this.paths.map((p) => [p, []]));
    this.events = [];
    this.last = null; // the latest answer, for its other fields
    this.end = null;
  }

  setRange(range) {
    this.range = range;
    this.reset();
  }

  // Fetches what is new; resolves true when the points changed.
  async refresh(signal) {
    const since = this.t.length ? this.t[this.t.length - 1] : undefined;
    const answer = await historyApi.get({...this.query, range: this.range, since}, signal);
    this.last = answer;
    this.end = answer.end;
    const fresh = answer.t || [];
    // The answer replaces every point from its start on (the minute under
    // way changes until it ends).
    let keep = this.t.length;
    while (keep > 0 && this.t[keep - 1] >= answer.start) keep -= 1;
    this.t.length = keep;
    this.t.push(...fresh);
    for (const p of this.paths) {
      const col = this.cols[p];
      col.length = keep;
      col.push(...column(answer, p));
    }
    // Only the window of the range.
    const from = answer.end - kRanges[this.range] + answer.step;
    let drop = 0;
    while (drop < this.t.length && this.t[drop] < from) drop += 1;
    if (drop) {
      this.t.splice(0, drop);
      for (const p of this.paths) this.cols[p].splice(0, drop);
    }
    if (Array.isArray(answer.events)) {
      const seen = new Set(this.events.map((e) => `${e.t}/${e.from}/${e.to}`));
      for (const e of answer.events) {
        if (!seen.has(`${e.t}/${e.from}/${e.to}`)) this.events.push(e);
      }
      this.events = this.events.filter((e) => e.t >= from);
    }
    return fresh.length > 0;
  }
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const kDark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

export function formatValue(v, unit) {
  if (v == null || Number.isNaN(v)) return '–';
  switch (unit) {
  case 'bytes': {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
    return `${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${units[i]}`;
  }
  case 'ms': if (v === 0) return '0 ms';
    return v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} s` : `${v >= 10 ? Math.round(v) : v.toFixed(1)} ms`;
  case '/s': return `${v >= 100 ? Math.round(v) : +v.toFixed(1)}/s`;
  case 'cores': return `${+v.toFixed(2)}`;
  default: return `${v >= 100 ? Math.round(v) : +v.toFixed(1)}`;
  }
}

function timeOfDay(t) {
  return new Date(t * 1000).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

// Draws the scaler's changes as dashed vertical lines with "2→3" labels.
function markersPlugin(chart) {
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        const {top, height} = u.bbox;
        ctx.save();
        ctx.strokeStyle = cssVar('--warn');
        ctx.fillStyle = cssVar('--warn');
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.lineWidth = devicePixelRatio;
        ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
        for (const e of chart.events) {
          const x = u.valToPos(e.t, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(`${e.from}→${e.to}`, x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
        }
        ctx.restore();
      }],
    },
  };
}

// One chart: series [{path, label, color: '--ok', unit}], a title, and
// the words to show when there is nothing to draw.
export class TimeChart {
  constructor(container, {id, title, series, unit, empty, markers = false, min = 0}) {
    this.series = series;
    this.unit = unit;
    this.emptyText = empty;
    this.markers = markers;
    this.min = min;
    this.events = [];
    this.plot = null;
    this.body = h('div', {class: 'chart-body'});
    this.note = h('p', {class: 'empty chart-empty', hidden: true});
    this.list = markers ? h('ul', {class: 'markers', 'aria-label': `${title}: scaling decisions`}) : null;
    this.el = h('figure', {class: 'chart', id, 'data-points': '0'},
      h('figcaption', {}, title), this.note, this.body, this.list || '');
    container.append(this.el);
    this.onScheme = () => this.rebuild();
    if (kDark) kDark.addEventListener('change', this.onScheme);
    this.resize = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize(this.size());
    });
    this.resize.observe(this.body);
  }

  size() {
    return {width: Math.max(200, this.body.clientWidth || 400), height: 160};
  }

  make(data) {
    const axis = {stroke: cssVar('--muted'), grid: {stroke: cssVar('--line'), width: 1},
      ticks: {stroke: cssVar('--line'), width: 1}};
    const opts = {
      ...this.size(),
      legend: {show: true, live: false},
      cursor: {drag: {x: false, y: false}},
      scales: {x: {time: true, auto: false}, y: {auto: true, range: (u, lo, hi) => [this.min, Math.max(hi * 1.1, this.min + 1)]}},
      axes: [{...axis}, {...axis, size: 72, values: (u, vals) => vals.map((v) => formatValue(v, this.unit))}],
      series: [{value: (u, v) => (v == null ? '–' : timeOfDay(v))},
        ...this.series.map((s) => ({label: s.label, stroke: cssVar(s.color), width: 1.5,
          spanGaps: false, points: {show: false},
          value: (u, v) => formatValue(v, s.unit || this.unit)}))],
      plugins: this.markers ? [markersPlugin(this)] : [],
    };
    this.plot = new window.uPlot(opts, data, this.body);
    this.el.dataset.scheme = kDark && kDark.matches ? 'dark' : 'light';
  }

  rebuild() {
    if (!this.plot) return;
    const data = this.plot.data;
    const x = this.plot.scales.x;
    this.plot.destroy();
    this.plot = null;
    this.make(data);
    this.plot.setScale('x', {min: x.min, max: x.max});
  }

  // Draws the feed's points over the window [end - range, end].
  update(feed) {
    const data = [feed.t, ...this.series.map((s) => feed.cols[s.path] || [])];
    const drawn = data.slice(1).some((col) => col.some((v) => v != null && v !== 0));
    // For tests and for the curious: points with a value, and the largest.
    let points = 0;
    let max = 0;
    for (let i = 0; i < feed.t.length; i++) {
      if (data.slice(1).some((col) => col[i] != null)) points += 1;
      for (const col of data.slice(1)) if (col[i] != null && col[i] > max) max = col[i];
    }
    this.el.dataset.points = String(points);
    this.el.dataset.max = String(max);
    if (this.markers) this.drawMarkers(feed.events);
    if (!drawn && !(this.markers && this.events.length)) {
      this.note.textContent = typeof this.emptyText === 'function' ? this.emptyText(feed.range) : this.emptyText;
      this.note.hidden = false;
      this.body.hidden = true;
      return;
    }
    this.note.hidden = true;
    this.body.hidden = false;
    const end = feed.end ?? (feed.t.length ? feed.t[feed.t.length - 1] : Math.floor(Date.now() / 1000));
    const start = end - kRanges[feed.range];
    if (!this.plot) this.make(data);
    else this.plot.setData(data, false);
    this.plot.setScale('x', {min: start, max: end});
  }

  drawMarkers(events) {
    this.events = events || [];
    clear(this.list);
    for (const e of this.events.slice(-8)) {
      this.list.append(h('li', {'data-from': String(e.from), 'data-to': String(e.to)},
        h('time', {datetime: new Date(e.t * 1000).toISOString()}, timeOfDay(e.t)), ' ',
        h('strong', {}, `${e.from} → ${e.to}`), e.reason ? `, ${e.reason}` : ''));
    }
  }

  destroy() {
    if (kDark) kDark.removeEventListener('change', this.onScheme);
    this.resize.disconnect();
    if (this.plot) this.plot.destroy();
  }
}

// A range picker: 15m / 1h / 24h.
export function rangePicker(initial, onChange) {
  const select = h('select', {'aria-label': 'Time range', class: 'range'},
    ...Object.keys(kRanges).map((r) => new Option(`last ${r.replace('m', ' min').replace('h', ' h')}`, r, false, r === initial)));
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

export function rangeWords(range) {
  return {'15m': 'the last 15 minutes', '1h': 'the last hour', '24h': 'the last 24 hours'}[range];
}

// A sparkline: values (nulls allowed) as an SVG polyline scaled to its max.
export function sparkline(values, label) {
  const w = 90;
  const hgt = 22;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(hgt));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const max = Math.max(0, ...values.filter((v) => v != null));
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(hgt - 1 - (max > 0 ? (v || 0) / max : 0) * (hgt - 3)).toFixed(1)}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  return svg;
}

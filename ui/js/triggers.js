// A function's triggers (cron schedules, MQTT topics) on its page: each with
// its next and last run, counts, and its last runs, from /system/triggers
// (refreshed every 2 s). The panel stays hidden for a function without any.

import {triggersApi} from './api.js';
import {cell, clear, h, poll} from './dom.js';

// "12:00:02 (in 3 s)", "11:59:58 (5 s ago)"
function when(iso) {
  if (!iso) return h('span', {class: 'muted'}, '–');
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return h('span', {}, iso);
  const s = Math.round((t.getTime() - Date.now()) / 1000);
  const abs = Math.abs(s);
  const span = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.floor(abs / 60)} min` : `${Math.floor(abs / 3600)} h`;
  const rel = s === 0 ? 'now' : s > 0 ? `in ${span}` : `${span} ago`;
  return h('time', {datetime: iso, title: t.toISOString()}, `${t.toLocaleTimeString()} (${rel})`);
}

function pillFor(status) {
  if (!status) return '';
  if (status.startsWith('completed')) return 'ready';
  if (status.startsWith('failed') || status.startsWith('not started')) return 'failed';
  return 'pending';
}

function describe(t) {
  if (t.kind === 'cron') {
    return [h('code', {}, t.trigger), t.timeZone && t.timeZone !== 'UTC' ? ` (${t.timeZone})` : ''];
  }
  return [h('code', {}, t.trigger), ` (MQTT, ${t.state})`];
}

export function triggersPanel(name, ns, ctx, signal) {
  const body = h('div', {id: 'triggers'});
  const panel = h('section', {class: 'panel', 'aria-labelledby': 'triggers-title', hidden: true},
    h('h2', {id: 'triggers-title'}, 'Triggers'), body);

  function draw(mine) {
    clear(body).append(...mine.map((t) => h('div', {class: 'trigger', 'data-kind': t.kind},
      h('dl', {class: 'facts'}, ...[
        ['Trigger', describe(t)],
        ['Runs', `${t.mode}; ${t.runs} started, ${t.skipped} skipped, ${t.missed} missed, ${t.failed} failed`],
        ['Next run', when(t.nextRun)],
        ['Last run', when(t.lastRun)],
        ['Last status', t.lastStatus ? h('span', {class: `pill ${pillFor(t.lastStatus)}`}, t.lastStatus)
          : h('span', {class: 'muted'}, 'no run yet')],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      t.recentRuns && t.recentRuns.length
        ? h('table', {class: 'cards'},
          h('caption', {}, 'Last runs'),
          h('thead', {}, h('tr', {}, ['Due', 'Call', 'Status'].map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, t.recentRuns.map((r) => h('tr', {},
            cell('Due', {}, when(r.at)),
            cell('Call', {class: 'mono wrap'}, r.callId || '–'),
            cell('Status', {}, h('span', {class: `pill ${pillFor(r.status)}`}, r.status))))))
        : null)));
  }

  const stop = poll(async () => {
    try {
      const all = await triggersApi.list(ns, signal);
      const mine = (all || []).filter((t) => t.function === name && t.namespace === ns);
      panel.hidden = mine.length === 0;
      if (mine.length) draw(mine);
    } catch (e) {
      if (e.name === 'AbortError') return;
      panel.hidden = true; // a gateway without triggers answers 501
      if (e.status !== 501) ctx.showError(`Could not read the triggers of ${name}: ${e.message}`);
    }
  }, 2000);
  signal.addEventListener('abort', stop);
  return panel;
}

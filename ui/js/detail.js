// One function: its status (refreshed every 2 s), invoke, logs, scale,
// update image and delete.

import {functionsApi, functionUrl, streamLogs} from './api.js';
import {metricsPanel} from './function_charts.js';
import {chips, clear, field, h, poll, progress, setFieldError, sleep, timeAgo} from './dom.js';
import {stateOf} from './functions.js';
import {triggersPanel} from './triggers.js';
import * as v from './validate.js';

const kMaxLogLines = 2000;
const kMaxShownBody = 256 * 1024;
const kSettleTimeoutMs = 180000;

export function render(main, ctx, ns, name) {
  const abort = new AbortController();
  let status = null;
  const facts = h('dl', {class: 'facts', id: 'function-facts'});
  const pill = h('span', {class: 'pill'});
  main.append(
    h('h1', {}, name, h('span', {class: 'sub'}, `in ${ns}`), pill),
    h('p', {}, h('a', {href: '#/functions'}, '← All functions')),
    h('section', {class: 'panel', 'aria-labelledby': 'status-title'},
      h('h2', {id: 'status-title'}, 'Status'), facts),
    metricsPanel(name, ns, abort.signal),
    triggersPanel(name, ns, ctx, abort.signal),
    h('div', {class: 'grid2'}, invokePanel(name, ns, () => stopPolling.now()),
      logsPanel(name, ns, abort.signal)),
    h('div', {class: 'grid2 spaced'},
      scalePanel(), updatePanel(), deletePanel()));

  function drawFacts(f) {
    const [state, label] = stateOf(f);
    pill.className = `pill ${state}`;
    pill.textContent = label;
    const row = (k, val) => [h('dt', {}, k), h('dd', {}, val)];
    const quantities = (q) => (q && Object.keys(q).length ? chips(q) : h('span', {class: 'muted'}, 'none'));
    clear(facts).append(...[
      row('Image', h('code', {}, f.image)),
      row('Replicas', h('span', {id: 'replicas'}, `${f.availableReplicas} available of ${f.replicas}`)),
      row('Invocations', String(Math.round(f.invocationCount || 0))),
      row('Created', timeAgo(f.createdAt)),
      row('Process', f.envProcess ? h('code', {}, f.envProcess) : h('span', {class: 'muted'}, 'the image\'s')),
      row('Environment', chips(f.envVars)),
      row('Labels', chips(f.labels)),
      row('Annotations', chips(f.annotations)),
      row('Secrets', f.secrets && f.secrets.length ? f.secrets.map((s) => h('span', {class: 'chip'}, s))
        : h('span', {class: 'muted'}, 'none')),
      row('Limits', quantities(f.limits)),
      row('Requests', quantities(f.requests)),
      row('Root filesystem', f.readOnlyRootFilesystem ? 'read-only' : 'writable'),
    ].flat());
  }

  const stopPolling = poll(async () => {
    try {
      status = await functionsApi.get(name, ns, abort.signal);
      ctx.setConn(true);
      drawFacts(status);
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (e.status === 404) {
        clear(facts).append(h('p', {class: 'error'}, `There is no function ${name} in ${ns}.`));
        pill.textContent = 'not found';
        pill.className = 'pill failed';
        return;
      }
      ctx.setConn(false, 'gateway unreachable');
      ctx.showError(`Could not read ${name}: ${e.message}`);
    }
  }, 2000);

  // ---- scale
  function scalePanel() {
    const input = h('input', {type: 'number', min: 0, max: 1000, step: 1, id: 'scale-replicas',
      inputmode: 'numeric', value: '1'});
    const button = h('button', {type: 'submit', class: 'primary'}, 'Scale');
    const prog = progress();
    const result = h('div', {role: 'status', id: 'scale-result'});
    const form = h('form', {class: 'panel', novalidate: true},
      h('h2', {}, 'Scale'), field('Replicas', input, '0 stops every replica'),
      h('div', {class: 'actions'}, button), prog.el, result);
    let touched = false;
    input.addEventListener('input', () => { touched = true; });
    const sync = setInterval(() => {
      if (!touched && status && document.activeElement !== input) input.value = String(status.replicas);
    }, 500);
    abort.signal.addEventListener('abort', () => clearInterval(sync));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const n = Number(input.value);
      if (input.value === '' || !Number.isInteger(n) || n < 0) {
        setFieldError(input, 'replicas must be a whole number, 0 or more');
        input.focus();
        return;
      }
      setFieldError(input, '');
      button.disabled = true;
      result.textContent = '';
      try {
        prog.show(`Scaling ${name} to ${n}…`);
        await functionsApi.scale(name, ns, n);
        const started = Date.now();
        for (;;) {
          const f = await functionsApi.get(name, ns, abort.signal);
          status = f;
          drawFacts(f);
          if (f.replicas === n && f.availableReplicas === n) break;
          if (Date.now() - started > kSettleTimeoutMs) throw new Error(`${name} did not reach ${n} replicas in time`);
          prog.show(`Scaling ${name} to ${n}: ${f.availableReplicas} of ${f.replicas} available…`);
          await sleep(1000, abort.signal);
        }
        prog.hide();
        result.className = 'ok';
        result.textContent = `${name} runs ${n} ${n === 1 ? 'replica' : 'replicas'}.`;
        touched = false;
      } catch (e) {
        if (e.name === 'AbortError') return;
        prog.hide();
        result.className = 'error';
        result.textContent = `Scaling failed: ${e.message}`;
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  // ---- update image
  function updatePanel() {
    const input = h('input', {id: 'update-image', spellcheck: 'false', autocomplete: 'off'});
    const button = h('button', {type: 'submit', class: 'primary'}, 'Update');
    const prog = progress();
    const result = h('div', {role: 'status'});
    const form = h('form', {class: 'panel', novalidate: true},
      h('h2', {}, 'Update image'),
      field('Image', input, 'Replicas are replaced one by one; the rest of the deployment is kept'),
      h('div', {class: 'actions'}, button), prog.el, result);
    const fill = setInterval(() => {
      if (status && !input.value) input.value = status.image;
    }, 300);
    abort.signal.addEventListener('abort', () => clearInterval(fill));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const image = input.value.trim();
      if (!image || /\s/.test(image)) {
        setFieldError(input, image ? 'image must not contain spaces' : 'image is required');
        input.focus();
        return;
      }
      setFieldError(input, '');
      if (!status) return;
      const labels = {...(status.labels || {})};
      delete labels.faas_function;
      const d = {
        service: name, namespace: ns, image, envProcess: status.envProcess || undefined,
        envVars: status.envVars, labels, annotations: status.annotations || {},
        secrets: status.secrets || [], limits: status.limits, requests: status.requests,
        readOnlyRootFilesystem: status.readOnlyRootFilesystem || undefined,
      };
      button.disabled = true;
      result.textContent = '';
      try {
        prog.show(`Updating ${name} to ${image}…`);
        await functionsApi.update(d);
        prog.hide();
        result.className = 'ok';
        result.textContent = `${name} now runs ${image}.`;
      } catch (e) {
        prog.hide();
        result.className = 'error';
        result.textContent = `Update failed: ${e.message}`;
        setFieldError(input, e.detail || e.message);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  // ---- delete
  function deletePanel() {
    const result = h('div', {role: 'status'});
    const button = h('button', {type: 'button', class: 'danger', id: 'delete-function'}, `Delete ${name}`);
    button.addEventListener('click', async () => {
      const ok = await ctx.confirm(`Delete ${name}?`,
        `Every replica of ${name} in ${ns} stops and the function is removed. This cannot be undone.`);
      if (!ok) {
        button.focus();
        return;
      }
      button.disabled = true;
      try {
        await functionsApi.remove(name, ns);
        ctx.navigate('#/functions');
      } catch (e) {
        result.className = 'error';
        result.textContent = `Delete failed: ${e.message}`;
        button.disabled = false;
      }
    });
    return h('section', {class: 'panel'}, h('h2', {}, 'Delete'),
      h('p', {class: 'muted'}, 'Removes the function and all its replicas.'), button, result);
  }

  return () => {
    abort.abort();
    stopPolling();
  };
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function invokePanel(name, ns, onInvoked) {
  const method = h('select', {id: 'invoke-method'},
    ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => h('option', {value: m}, m)));
  const path = h('input', {id: 'invoke-path', placeholder: '/', spellcheck: 'false'});
  const query = h('input', {id: 'invoke-query', placeholder: 'a=1&b=2', spellcheck: 'false'});
  const headers = h('textarea', {id: 'invoke-headers', rows: 2, placeholder: 'Content-Type: text/plain'});
  const bodyText = h('textarea', {id: 'invoke-body', rows: 4, placeholder: 'Request body'});
  const bodyFile = h('input', {type: 'file', id: 'invoke-file'});
  const useFile = h('input', {type: 'checkbox', id: 'invoke-use-file'});
  const button = h('button', {type: 'submit', class: 'primary', id: 'invoke-send'}, 'Invoke');
  const out = h('div', {id: 'invoke-result', 'aria-live': 'polite'});
  const form = h('form', {class: 'panel', novalidate: true, 'aria-labelledby': 'invoke-title'},
    h('h2', {id: 'invoke-title'}, 'Invoke'),
    h('div', {class: 'row'}, field('Method', method), field('Path', path), field('Query', query)),
    field('Headers', headers, 'One "Name: value" a line'),
    field('Body', bodyText),
    h('div', {class: 'field'}, h('label', {class: 'check'}, useFile, 'Send a file as the body instead'), bodyFile),
    h('div', {class: 'actions'}, button), out);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const parsed = v.parseHeaders(headers.value);
    setFieldError(headers, parsed.error);
    if (parsed.error) {
      headers.focus();
      return;
    }
    const file = useFile.checked ? bodyFile.files[0] : null;
    if (useFile.checked && !file) {
      setFieldError(bodyFile, 'choose a file, or untick "Send a file"');
      bodyFile.focus();
      return;
    }
    setFieldError(bodyFile, '');
    const m = method.value;
    const url = functionUrl(name, ns, path.value, query.value);
    const init = {method: m, headers: parsed.headers, credentials: 'omit', redirect: 'manual'};
    if (m !== 'GET' && m !== 'HEAD') init.body = file || bodyText.value;
    button.disabled = true;
    clear(out).append(h('p', {class: 'muted'}, `Calling ${m} ${url}…`));
    const curl = ['curl', '-i', '-X', m, shellQuote(url),
      ...parsed.headers.map(([k, val]) => `-H ${shellQuote(`${k}: ${val}`)}`)];
    if (init.body !== undefined) {
      curl.push(file ? `--data-binary @${shellQuote(file.name)}` : `--data-binary ${shellQuote(bodyText.value)}`);
    }
    const started = performance.now();
    try {
      const res = await fetch(url, init);
      const buf = await res.arrayBuffer();
      const ms = performance.now() - started;
      drawResult(out, res, buf, ms, curl.join(' '));
      onInvoked();
    } catch (e) {
      clear(out).append(h('p', {class: 'error'}, `The call failed: ${e.message}. Is the gateway running?`),
        curlLine(curl.join(' ')));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function drawResult(out, res, buf, ms, curl) {
  const good = res.status >= 200 && res.status < 400;
  const serverSeconds = res.headers.get('X-Duration-Seconds');
  const hdrs = [...res.headers.entries()];
  const type = res.headers.get('Content-Type') || '';
  let bodyEl;
  if (!buf.byteLength) {
    bodyEl = h('p', {class: 'muted'}, 'Empty body.');
  } else {
    let text = null;
    try {
      text = new TextDecoder('utf-8', {fatal: true}).decode(buf.slice(0, kMaxShownBody));
    } catch { /* binary */ }
    if (text !== null || /^text\/|json|xml/.test(type)) {
      bodyEl = h('pre', {id: 'invoke-body-out'}, text ?? new TextDecoder().decode(buf.slice(0, kMaxShownBody)));
    } else {
      const href = URL.createObjectURL(new Blob([buf], {type}));
      bodyEl = h('p', {}, `${buf.byteLength} bytes of ${type || 'binary data'}. `,
        h('a', {href, download: 'response'}, 'Download'));
    }
  }
  clear(out).append(
    h('p', {},
      h('span', {class: `result-status ${good ? 'good' : 'bad'}`, id: 'invoke-status'},
        `${res.status} ${res.statusText}`),
      ` · ${ms.toFixed(0)} ms in the browser`,
      serverSeconds ? ` · ${Number(serverSeconds).toFixed(3)} s in the function` : '',
      ` · ${buf.byteLength} bytes`,
      buf.byteLength > kMaxShownBody ? ' (first 256 KiB shown)' : ''),
    bodyEl,
    h('details', {}, h('summary', {}, `Response headers (${hdrs.length})`),
      h('pre', {}, hdrs.map(([k, val]) => `${k}: ${val}`).join('\n'))),
    curlLine(curl));
}

function curlLine(curl) {
  const code = h('pre', {class: 'curl'}, curl);
  const copy = h('button', {type: 'button'}, 'Copy curl');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(curl);
      copy.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copy.textContent = 'Selected: press Ctrl+C';
    }
  });
  return h('div', {}, h('div', {class: 'actions'}, h('strong', {}, 'As curl'), copy), code);
}

function logsPanel(name, ns, pageSignal) {
  const tail = h('input', {type: 'number', id: 'logs-tail', value: '100', min: -1, step: 1});
  const follow = h('input', {type: 'checkbox', id: 'logs-follow', checked: true});
  const button = h('button', {type: 'submit', class: 'primary', id: 'logs-start'}, 'Show logs');
  const clearButton = h('button', {type: 'button'}, 'Clear');
  const state = h('span', {class: 'muted', role: 'status', id: 'logs-state'}, 'Not started.');
  const box = h('div', {class: 'logs', id: 'logs', tabindex: '0', 'aria-label': `Logs of ${name}`});
  let running = null;

  const append = (line) => {
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    const ts = line.timestamp ? line.timestamp.replace('T', ' ').replace(/\.\d+/, '').replace('Z', '') : '';
    box.append(h('div', {}, ts ? h('span', {class: 'ts'}, `${ts} `) : null,
      line.instance ? h('span', {class: 'inst'}, `${line.instance.slice(-6)} `) : null, line.text ?? ''));
    while (box.childNodes.length > kMaxLogLines) box.firstChild.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
  };

  const stop = () => {
    if (running) running.abort();
    running = null;
    button.textContent = 'Show logs';
  };
  pageSignal.addEventListener('abort', stop);
  clearButton.addEventListener('click', () => clear(box));

  const form = h('form', {class: 'panel', novalidate: true, 'aria-labelledby': 'logs-title'},
    h('h2', {id: 'logs-title'}, 'Logs'),
    h('div', {class: 'row'}, field('Lines from the end', tail, '-1 for all'),
      h('div', {class: 'field'}, h('span', {}, 'Follow'),
        h('label', {class: 'check'}, follow, 'Keep streaming new lines'))),
    h('div', {class: 'actions'}, button, clearButton, state),
    box);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (running) {
      stop();
      state.textContent = 'Stopped.';
      return;
    }
    const n = Number(tail.value);
    if (tail.value === '' || !Number.isInteger(n) || n < -1) {
      setFieldError(tail, 'a whole number, or -1 for all');
      tail.focus();
      return;
    }
    setFieldError(tail, '');
    clear(box);
    const ctl = new AbortController();
    running = ctl;
    const following = follow.checked;
    button.textContent = following ? 'Stop' : 'Show logs';
    state.textContent = following ? 'Following…' : 'Reading…';
    let count = 0;
    try {
      await streamLogs({name, namespace: ns, tail: n, follow: following ? 'true' : 'false'},
        (line) => { count++; append(line); }, ctl.signal);
      if (running === ctl) state.textContent = `${count} ${count === 1 ? 'line' : 'lines'}; the stream ended.`;
    } catch (e) {
      if (e.name !== 'AbortError') state.textContent = `Logs failed: ${e.message}`;
    } finally {
      if (running === ctl) stop();
    }
  });
  return form;
}

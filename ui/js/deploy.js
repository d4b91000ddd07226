// The deploy form: checks every field with the API's rules, shows what is
// wrong next to the field, deploys, then follows the function until a
// replica is ready.

import {functionsApi, secretsApi} from './api.js';
import {clear, field, h, progress, setFieldError, sleep} from './dom.js';
import * as v from './validate.js';

const kReadyTimeoutMs = 180000;

export function render(main, ctx) {
  const abort = new AbortController();
  const nsOptions = [...document.querySelectorAll('#namespace option')].map((o) => o.value);
  const c = {
    name: h('input', {name: 'service', autocomplete: 'off', spellcheck: 'false', required: true,
      placeholder: 'say-hello'}),
    image: h('input', {name: 'image', autocomplete: 'off', spellcheck: 'false', required: true,
      placeholder: 'registry.example:5000/say-hello:1'}),
    namespace: h('select', {name: 'namespace'},
      nsOptions.map((ns) => h('option', {value: ns, selected: ns === ctx.ns}, ns))),
    fprocess: h('input', {name: 'envProcess', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'the image\'s own when empty'}),
    env: h('textarea', {name: 'envVars', rows: 3, placeholder: 'KEY=value'}),
    labels: h('textarea', {name: 'labels', rows: 3, placeholder: 'com.openfaas.scale.min=1'}),
    annotations: h('textarea', {name: 'annotations', rows: 2, placeholder: 'topic=orders'}),
    memLimit: h('input', {name: 'limits.memory', placeholder: '128Mi'}),
    cpuLimit: h('input', {name: 'limits.cpu', placeholder: '500m'}),
    memRequest: h('input', {name: 'requests.memory', placeholder: '64Mi'}),
    cpuRequest: h('input', {name: 'requests.cpu', placeholder: '100m'}),
    readOnly: h('input', {type: 'checkbox', name: 'readOnlyRootFilesystem'}),
  };
  const secretsBox = h('div', {id: 'deploy-secrets'}, h('span', {class: 'muted'}, 'Loading secrets…'));
  const secretsError = h('div', {class: 'field-error', id: 'deploy-secrets-error', 'aria-live': 'polite'});
  const formError = h('div', {class: 'error', role: 'alert', id: 'deploy-error'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Deploy');
  const prog = progress();

  const form = h('form', {class: 'panel', novalidate: true, 'aria-labelledby': 'deploy-title'},
    h('div', {class: 'row'},
      field('Name', c.name, 'Lowercase letters, digits and "-", at most 63'),
      field('Namespace', c.namespace)),
    field('Image', c.image, 'Used exactly as written; pulled when not in the local store'),
    field('Process (fprocess)', c.fprocess, 'The command the watchdog runs per request'),
    h('div', {class: 'row'},
      field('Environment variables', c.env, 'One KEY=value a line'),
      field('Labels', c.labels, 'One key=value a line (scaling labels go here)'),
      field('Annotations', c.annotations, 'One key=value a line')),
    h('fieldset', {}, h('legend', {}, 'Secrets'), secretsBox, secretsError),
    h('fieldset', {}, h('legend', {}, 'Limits and requests'),
      h('div', {class: 'row'},
        field('Memory limit', c.memLimit), field('CPU limit', c.cpuLimit),
        field('Memory request', c.memRequest), field('CPU request', c.cpuRequest))),
    h('label', {class: 'check'}, c.readOnly, 'Read-only root filesystem'),
    h('div', {class: 'actions spaced'}, submit,
      h('a', {href: '#/functions'}, 'Cancel')),
    prog.el, formError);

  main.append(h('h1', {id: 'deploy-title'}, 'Deploy a function'), form);
  c.name.focus();

  const secretBoxes = [];
  secretsApi.list(c.namespace.value).then((list) => {
    clear(secretsBox);
    if (!list || !list.length) {
      secretsBox.append(h('span', {class: 'muted'}, 'No secrets in this namespace. ',
        h('a', {href: '#/secrets'}, 'Create one'), '.'));
      return;
    }
    for (const s of list) {
      const box = h('input', {type: 'checkbox', value: s.name, name: 'secrets'});
      secretBoxes.push(box);
      secretsBox.append(h('label', {class: 'check'}, box, s.name));
    }
  }).catch((e) => {
    clear(secretsBox).append(h('span', {class: 'error'}, `Could not list secrets: ${e.message}`));
  });

  // Every rule, every field; answers the deployment or null.
  function check() {
    const errors = new Map();
    const d = {
      service: c.name.value.trim(),
      image: c.image.value.trim(),
      namespace: c.namespace.value,
      labels: {},
      annotations: {},
    };
    errors.set(c.name, v.functionName(d.service));
    errors.set(c.image, d.image ? (/\s/.test(d.image) ? 'image must not contain spaces' : '')
      : 'image is required');
    if (c.fprocess.value.trim()) d.envProcess = c.fprocess.value.trim();
    const env = v.parsePairs(c.env.value, 'environment variables', {keyRule: v.envKey});
    errors.set(c.env, env.error);
    if (Object.keys(env.map).length) d.envVars = env.map;
    const labels = v.parsePairs(c.labels.value, 'labels');
    errors.set(c.labels, labels.error);
    d.labels = labels.map;
    const ann = v.parsePairs(c.annotations.value, 'annotations');
    errors.set(c.annotations, ann.error);
    d.annotations = ann.map;
    const quantity = (input, rule) => {
      const text = input.value.trim();
      errors.set(input, rule(text));
      return text;
    };
    const limits = {memory: quantity(c.memLimit, v.memory), cpu: quantity(c.cpuLimit, v.cpu)};
    const requests = {memory: quantity(c.memRequest, v.memory), cpu: quantity(c.cpuRequest, v.cpu)};
    for (const [key, obj] of [['limits', limits], ['requests', requests]]) {
      for (const k of Object.keys(obj)) if (!obj[k]) delete obj[k];
      if (Object.keys(obj).length) d[key] = obj;
    }
    d.secrets = secretBoxes.filter((b) => b.checked).map((b) => b.value);
    if (c.readOnly.checked) d.readOnlyRootFilesystem = true;
    let first = null;
    for (const [input, message] of errors) {
      setFieldError(input, message);
      if (message && !first) first = input;
    }
    if (first) {
      first.focus();
      return null;
    }
    return d;
  }

  // Puts a gateway error next to the field it names.
  function placeServerError(e) {
    const text = e.detail || e.message;
    const rules = [
      [/already exists|function name|"service"/i, c.name],
      [/image|pull|manifest|reference/i, c.image],
      [/envVars|variable/i, c.env],
      [/annotation/i, c.annotations],
      [/label/i, c.labels],
      [/memory/i, c.memLimit],
      [/cpu/i, c.cpuLimit],
      [/namespace/i, c.namespace],
    ];
    if (/secret/i.test(text)) {
      secretsError.textContent = text;
      return;
    }
    for (const [re, input] of rules) {
      if (re.test(text)) {
        setFieldError(input, text);
        return;
      }
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    secretsError.textContent = '';
    const d = check();
    if (!d) {
      formError.textContent = 'Some fields need attention (see the messages next to them).';
      return;
    }
    submit.disabled = true;
    try {
      prog.show(`Deploying ${d.service}: fetching the image and starting a replica…`);
      await functionsApi.deploy(d);
      const started = Date.now();
      for (;;) {
        const f = await functionsApi.get(d.service, d.namespace, abort.signal);
        if (f.availableReplicas >= 1) break;
        if (Date.now() - started > kReadyTimeoutMs) {
          throw new Error(`${d.service} was deployed but no replica became ready in ` +
            `${kReadyTimeoutMs / 1000} s; see its logs`);
        }
        prog.show(`Waiting for ${d.service} to be ready (${f.availableReplicas}/${f.replicas} replicas)…`);
        await sleep(1000, abort.signal);
      }
      prog.hide();
      ctx.navigate(`#/function/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.service)}`);
    } catch (e) {
      if (e.name === 'AbortError') return;
      prog.hide();
      formError.textContent = `Deploy failed: ${e.message}`;
      placeServerError(e);
    } finally {
      submit.disabled = false;
    }
  });

  return () => abort.abort();
}

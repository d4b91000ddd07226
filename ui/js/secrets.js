// Secrets of the selected namespace: list, create (text or file), delete.
// The API never answers a secret's value, and this page never shows one.

import {secretsApi} from './api.js';
import {cell, clear, field, h, setFieldError} from './dom.js';
import * as v from './validate.js';

function base64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

export function render(main, ctx) {
  const list = h('div', {'aria-live': 'polite'}, h('p', {class: 'muted'}, 'Loading secrets…'));
  const name = h('input', {id: 'secret-name', autocomplete: 'off', spellcheck: 'false'});
  const value = h('textarea', {id: 'secret-value', rows: 3, autocomplete: 'off', spellcheck: 'false'});
  const file = h('input', {type: 'file', id: 'secret-file'});
  const button = h('button', {type: 'submit', class: 'primary'}, 'Create secret');
  const result = h('div', {role: 'status', id: 'secret-result'});
  const form = h('form', {class: 'panel', novalidate: true, 'aria-labelledby': 'secret-create'},
    h('h2', {id: 'secret-create'}, `New secret in ${ctx.ns}`),
    field('Name', name, "Letters, digits, '-', '_' and '.'"),
    field('Value', value, 'Stored as given; functions read it from /var/openfaas/secrets/<name>'),
    field('…or a file (binary is fine)', file),
    h('div', {class: 'actions'}, button), result);

  main.append(h('h1', {}, 'Secrets', h('span', {class: 'sub'}, `in ${ctx.ns}`)),
    h('div', {class: 'grid2'}, h('section', {class: 'panel'}, h('h2', {}, 'Stored secrets'), list), form));

  async function load() {
    try {
      const secrets = (await secretsApi.list(ctx.ns)) || [];
      ctx.setConn(true);
      clear(list);
      if (!secrets.length) {
        list.append(h('div', {class: 'empty'}, `No secrets in ${ctx.ns}.`));
        return;
      }
      secrets.sort((a, b) => a.name.localeCompare(b.name));
      list.append(h('table', {class: 'cards', id: 'secrets-table'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Actions'))),
        h('tbody', {}, secrets.map((s) => h('tr', {'data-secret': s.name},
          cell('Name', {class: 'mono wrap'}, s.name),
          cell('Actions', {}, h('button', {type: 'button', class: 'danger',
            'aria-label': `Delete secret ${s.name}`, onclick: () => remove(s.name)}, 'Delete')))))));
    } catch (e) {
      ctx.showError(`Could not list secrets: ${e.message}`);
      clear(list).append(h('p', {class: 'error'}, 'The secrets could not be listed.'));
    }
  }

  async function remove(secret) {
    if (!(await ctx.confirm(`Delete secret ${secret}?`,
      `Functions that mount ${secret} keep the copy they have until they are redeployed.`))) return;
    try {
      await secretsApi.remove(secret, ctx.ns);
      result.className = 'ok';
      result.textContent = `Deleted ${secret}.`;
    } catch (e) {
      ctx.showError(`Could not delete ${secret}: ${e.message}`);
    }
    load();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.textContent = '';
    const n = name.value.trim();
    const nameError = v.secretName(n);
    setFieldError(name, nameError);
    const f = file.files[0];
    const valueError = !f && !value.value ? 'give a value or choose a file' : '';
    setFieldError(value, valueError);
    if (nameError || valueError) {
      (nameError ? name : value).focus();
      return;
    }
    const secret = {name: n, namespace: ctx.ns};
    if (f) secret.rawValue = base64(new Uint8Array(await f.arrayBuffer()));
    else secret.value = value.value;
    button.disabled = true;
    try {
      await secretsApi.create(secret);
      result.className = 'ok';
      result.textContent = `Created ${n}.`;
      form.reset();
      load();
    } catch (e) {
      result.className = 'error';
      result.textContent = `Create failed: ${e.message}`;
      setFieldError(e.status === 409 || /name/i.test(e.detail) ? name : value, e.detail || e.message);
    } finally {
      button.disabled = false;
    }
  });

  load();
}

// The page: hash routes (#/functions, #/dashboard, #/deploy,
// #/function/NS/NAME, #/secrets, #/async, #/cluster), the namespace selector, the error banner and the
// confirmation dialog. Each view renders into <main> and returns a cleanup
// that stops its polling and streams.

import {namespaces} from './api.js';
import {clear} from './dom.js';
import * as dashboardView from './dashboard.js';
import * as functionsView from './functions.js';
import * as deployView from './deploy.js';
import * as detailView from './detail.js';
import * as secretsView from './secrets.js';
import * as asyncView from './async.js';
import * as clusterView from './cluster.js';

const main = document.getElementById('main');
const nsSelect = document.getElementById('namespace');
const banner = document.getElementById('banner');
const bannerText = document.getElementById('banner-text');
const conn = document.getElementById('conn');
const dialog = document.getElementById('confirm');

let cleanup = null;

const ctx = {
  ns: localStorage.getItem('faasd.ns') || 'openfaas-fn',
  showError(message) {
    bannerText.textContent = message;
    banner.hidden = false;
  },
  clearError() {
    banner.hidden = true;
  },
  // ok: the last call to the gateway worked (shown in the header).
  setConn(ok, message) {
    conn.textContent = ok ? `updated ${new Date().toLocaleTimeString()}` : (message || 'offline');
    conn.classList.toggle('bad', !ok);
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  // Resolves true when the user confirms.
  confirm(title, text, okLabel = 'Delete') {
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = okLabel;
    dialog.returnValue = '';
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), {once: true});
    });
  },
};

document.getElementById('banner-close').addEventListener('click', () => ctx.clearError());

async function loadNamespaces() {
  let list = [ctx.ns];
  try {
    const got = await namespaces();
    if (Array.isArray(got) && got.length) list = got;
  } catch (e) {
    ctx.showError(`Could not list namespaces: ${e.message}`);
  }
  if (!list.includes(ctx.ns)) ctx.ns = list[0];
  clear(nsSelect);
  for (const ns of list) nsSelect.append(new Option(ns, ns, false, ns === ctx.ns));
}

nsSelect.addEventListener('change', () => {
  ctx.ns = nsSelect.value;
  localStorage.setItem('faasd.ns', ctx.ns);
  const view = location.hash.split('/')[1];
  // A function's page belongs to its namespace: go back to the list.
  ctx.navigate(view === 'function' ? '#/functions' : location.hash || '#/functions');
});

function route() {
  if (cleanup) cleanup();
  cleanup = null;
  ctx.clearError();
  const parts = (location.hash || '#/functions').slice(2).split('/').map(decodeURIComponent);
  const view = parts[0] || 'functions';
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === view || (view === 'function' && a.dataset.nav === 'functions')) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  clear(main);
  let result;
  switch (view) {
  case 'dashboard': result = dashboardView.render(main, ctx); break;
  case 'deploy': result = deployView.render(main, ctx); break;
  case 'function': result = detailView.render(main, ctx, parts[1] || ctx.ns, parts[2] || ''); break;
  case 'secrets': result = secretsView.render(main, ctx); break;
  case 'async': result = asyncView.render(main, ctx); break;
  case 'cluster': result = clusterView.render(main, ctx); break;
  default: result = functionsView.render(main, ctx); break;
  }
  cleanup = typeof result === 'function' ? result : null;
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} · faasd` : 'faasd';
}

window.addEventListener('hashchange', () => {
  route();
  // Keyboard users land in the new view, unless the view focused a field.
  if (!main.contains(document.activeElement)) main.focus({preventScroll: true});
});

await loadNamespaces();
clusterView.showLinkIfCluster(document.getElementById('nav-cluster'));
route();

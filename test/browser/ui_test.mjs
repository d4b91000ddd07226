// Drives Debian's Chromium (headless, through playwright-core) against a
// running faasd: sign in, deploy from the form, see it ready, invoke, watch
// its charts and the dashboard under a bounded load (with the scaler's
// scale-up marked), read logs, scale to 2 and to 0, secrets, a cron
// function's runs, sparklines for 20 functions, a page opened through a
// URL holding credentials, delete; bad input shows its error.
// Prints "ok: STEP" / "FAILED: STEP" lines; exits non-zero on a failure.
//
// Environment: GW (http://127.0.0.1:PORT), FAASD_USER, FAASD_PASS,
// SHOTS (a directory for screenshots), IMAGE and IMAGE2 (two tags of a
// function image in the store).

import {chromium} from 'playwright-core';

const gw = process.env.GW;
const user = process.env.FAASD_USER;
const pass = process.env.FAASD_PASS;
const shots = process.env.SHOTS;
const image = process.env.IMAGE;
const image2 = process.env.IMAGE2;
const fn = 'webecho';
const ns = 'openfaas-fn';
const kSlow = 180000;

const auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
async function apiGet(path) {
  const res = await fetch(gw + path, {headers: {Authorization: auth}});
  return {status: res.status, body: res.status === 200 ? await res.json() : await res.text()};
}

// Calls the function for at most `seconds` and `max` requests, `workers`
// at a time, until stop() is called; resolves to the count of 200s.
function boundedLoad(name, {seconds, max, workers}) {
  const deadline = Date.now() + seconds * 1000;
  let sent = 0;
  let ok = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && sent < max && Date.now() < deadline) {
      sent++;
      const res = await fetch(`${gw}/function/${name}`, {method: 'POST', body: 'load'}).catch(() => null);
      if (res) {
        await res.arrayBuffer();
        if (res.status === 200) ok++;
      }
    }
  };
  const done = Promise.all(Array.from({length: workers}, worker)).then(() => ok);
  return {done, stop: () => { stopped = true; return done; }};
}

// The count of points with a value in a chart (its data-points attribute).
function chartPoints(id) {
  return page.evaluate((sel) => Number(document.querySelector(sel)?.dataset.points || 0), `#${id}`);
}

async function pointsGrow(id, timeout = 30000) {
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.points || 0) > 0,
    `#${id}`, {timeout});
  const before = await chartPoints(id);
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.dataset.points || 0) > n,
    [`#${id}`, before], {timeout});
  assert(await page.locator(`#${id} canvas`).count() > 0, `${id} has no canvas`);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

let passed = 0;
let page = null;
let shotSeq = 0;
async function step(name, body) {
  try {
    await body();
    console.log(`ok: ${name}`);
    passed++;
  } catch (e) {
    console.log(`FAILED: ${name}\n  ${String(e.stack || e).split('\n').slice(0, 6).join('\n  ')}`);
    if (page) {
      await page.screenshot({path: `${shots}/failure-${++shotSeq}.png`, fullPage: true}).catch(() => {});
    }
    throw new Error('stopped');
  }
}

async function shot(name) {
  await page.screenshot({path: `${shots}/${name}.png`, fullPage: true});
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const pageErrors = [];
let exitCode = 0;
try {
  await step('without credentials /ui/ answers 401', async () => {
    const anon = await browser.newContext();
    const p = await anon.newPage();
    // Headless Chromium has no prompt: the challenge ends the navigation.
    const outcome = await p.goto(`${gw}/ui/`).then((r) => `status ${r.status()}`, (e) => e.message);
    assert(/ERR_INVALID_AUTH_CREDENTIALS|status 401/.test(outcome), outcome);
    const res = await anon.request.get(`${gw}/ui/`);
    assert(res.status() === 401, `status ${res.status()}`);
    await anon.close();
  });

  const context = await browser.newContext({
    httpCredentials: {username: user, password: pass},
    viewport: {width: 1280, height: 860},
    colorScheme: 'light',
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
  });
  page.setDefaultTimeout(15000);

  await step('log in: the functions view loads with the namespace selector', async () => {
    const res = await page.goto(`${gw}/ui/`);
    assert(res.status() === 200, `status ${res.status()}`);
    await page.getByRole('heading', {name: /Functions/}).waitFor();
    await page.locator('#namespace option', {hasText: ns}).waitFor({state: 'attached'});
    await page.locator('text=No functions in').waitFor();
    assert(await page.locator('#banner').isHidden(), 'an error banner is shown');
  });

  await step('one VM: no Cluster link, and #/cluster says it is not a cluster', async () => {
    assert(await page.locator('#nav-cluster').isHidden(), 'the Cluster link shows on one VM');
    await page.goto(`${gw}/ui/#/cluster`);
    await page.locator('text=This faasd is one VM, not part of a cluster.').waitFor();
    await page.goto(`${gw}/ui/#/functions`);
    await page.getByRole('heading', {name: /Functions/}).waitFor();
  });

  await step('keyboard: Tab reaches the Deploy link and Enter opens the form', async () => {
    await page.locator('body').focus();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.dataset?.nav === 'deploy')) break;
    }
    assert(await page.evaluate(() => document.activeElement?.dataset?.nav === 'deploy'),
      'Tab never reached the Deploy link');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', {name: 'Deploy a function'}).waitFor();
    assert(await page.evaluate(() => document.activeElement?.name === 'service'),
      'the name field does not have the focus');
  });

  await step('bad form input shows its error next to the field', async () => {
    await page.getByLabel('Name', {exact: true}).fill('Bad_Name');
    await page.getByLabel('Image', {exact: true}).fill(image);
    await page.getByLabel('Memory limit').fill('lots');
    await page.getByRole('button', {name: 'Deploy', exact: true}).click();
    const nameError = page.locator('[name="service"] ~ .field-error');
    await nameError.filter({hasText: 'lowercase letters'}).waitFor();
    assert(await page.locator('[name="service"]').getAttribute('aria-invalid') === 'true', 'no aria-invalid');
    await page.locator('[name="limits.memory"] ~ .field-error').filter({hasText: 'not a size'}).waitFor();
    await page.locator('#deploy-error', {hasText: 'need attention'}).waitFor();
    assert(await page.evaluate(() => document.activeElement?.name === 'service'), 'focus is not on the name');
    await shot('deploy-errors');
    const got = await apiGet('/system/function/bad-name');
    assert(got.status === 404, 'something was deployed');
  });

  await step('an error from the API is shown as a readable message', async () => {
    await page.getByLabel('Name', {exact: true}).fill('webmissing');
    await page.getByLabel('Image', {exact: true}).fill('faasd.test/not-here:1');
    await page.getByLabel('Memory limit').fill('');
    await page.getByRole('button', {name: 'Deploy', exact: true}).click();
    const err = page.locator('#deploy-error', {hasText: 'Deploy failed'});
    await err.waitFor({timeout: kSlow});
    const text = await err.textContent();
    assert(/\(\d{3}\): \S/.test(text), `no status and message in "${text}"`);
    assert(await page.locator('[name="image"]').getAttribute('aria-invalid') === 'true',
      `the image field is not marked (${text})`);
    await shot('deploy-api-error');
  });

  await step('deploy from the form and see it become ready', async () => {
    await page.getByLabel('Name', {exact: true}).fill(fn);
    await page.getByLabel('Image', {exact: true}).fill(image);
    await page.getByLabel('Process (fprocess)').fill('cat');
    await page.getByLabel('Environment variables').fill('GREETING=hello');
    await page.getByLabel('Labels', {exact: true}).fill('team=web\ncom.openfaas.scale.min=1');
    await page.getByLabel('Annotations').fill('owner=ui-test');
    await page.getByLabel('Memory limit').fill('64Mi');
    await page.getByRole('button', {name: 'Deploy', exact: true}).click();
    await page.waitForURL(`**/ui/#/function/${ns}/${fn}`, {timeout: kSlow});
    await page.locator('#replicas', {hasText: '1 available of 1'}).waitFor({timeout: kSlow});
    await page.locator('#function-facts', {hasText: 'team=web'}).waitFor();
    const got = await apiGet(`/system/function/${fn}`);
    assert(got.status === 200 && got.body.availableReplicas === 1, JSON.stringify(got.body));
    assert(got.body.envProcess === 'cat' && got.body.labels.team === 'web' &&
      got.body.annotations.owner === 'ui-test' && got.body.limits?.memory === '64Mi',
    `deployment differs: ${JSON.stringify(got.body)}`);
  });

  await step('invoke it and read the answer, with a curl line', async () => {
    await page.locator('#invoke-method').selectOption('POST');
    await page.locator('#invoke-path').fill('/greet');
    await page.locator('#invoke-query').fill('lang=en');
    await page.locator('#invoke-headers').fill('X-Test: browser');
    await page.locator('#invoke-body').fill('hello from the browser');
    await page.locator('#invoke-send').click();
    await page.locator('#invoke-status', {hasText: '200'}).waitFor({timeout: 60000});
    const body = await page.locator('#invoke-body-out').textContent();
    assert(body === 'hello from the browser', `body "${body}"`);
    const curl = await page.locator('pre.curl').textContent();
    assert(curl.includes(`/function/${fn}.${ns}/greet?lang=en`) && curl.includes("-H 'X-Test: browser'"),
      `curl line "${curl}"`);
    await shot('function-invoke');
  });

  await step('charts: under a bounded load the function page and the dashboard draw new points', async () => {
    // A function of its own, so the load leaves the others' logs and counts alone.
    const loaded = 'webload';
    const res = await fetch(gw + '/system/functions', {method: 'POST', headers: {Authorization: auth},
      body: JSON.stringify({service: loaded, image, envProcess: 'cat',
        labels: {'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '2'}})});
    assert(res.status === 202 || res.status === 200, `deploy answered ${res.status}`);
    try {
      await page.goto(`${gw}/ui/#/function/${ns}/${loaded}`);
      await page.locator('#replicas', {hasText: '1 available of 1'}).waitFor({timeout: kSlow});
      const load = boundedLoad(loaded, {seconds: 60, max: 6000, workers: 3});
      try {
        await page.locator('#chart-rate').scrollIntoViewIfNeeded();
        await pointsGrow('chart-rate');
        await pointsGrow('chart-latency');
        await pointsGrow('chart-replicas');
        // The scaler's built-in rule: more than 5 successful calls per second
        // for 5 s takes it from 1 to its com.openfaas.scale.max of 2.
        const marker = page.locator('#chart-replicas .markers li[data-from="1"][data-to="2"]');
        await marker.waitFor({timeout: 60000});
        const text = await marker.textContent();
        assert(/1 → 2, .*req\/s/.test(text), `marker "${text}"`);
        await page.waitForFunction(() => document.querySelector('#chart-rate')?.dataset.max > 5, null,
          {timeout: 15000});
        await page.locator('#metrics-panel').screenshot({path: `${shots}/function-charts.png`});
        await page.getByRole('link', {name: 'Dashboard', exact: true}).click();
        await page.getByRole('heading', {name: /Dashboard/}).waitFor();
        await pointsGrow('chart-vm-rate');
        await pointsGrow('chart-vm-cpu');
        await pointsGrow('chart-vm-memory');
        await page.locator(`#top-rate tr[data-function="${loaded}"] svg.spark polyline`).waitFor();
        await page.locator(`#top-p99 tr[data-function="${loaded}"]`).waitFor();
        await shot('dashboard');
        await page.emulateMedia({colorScheme: 'dark'});
        await page.waitForFunction(() => !document.querySelector('.chart[data-scheme="light"]'));
        await shot('dashboard-dark');
        await page.emulateMedia({colorScheme: 'light'});
      } finally {
        const ok = await load.stop();
        assert(ok > 0, 'no call of the load succeeded');
      }
      // Quiet again: the scaler brings it back to its minimum (a second marker).
      await page.goto(`${gw}/ui/#/function/${ns}/${loaded}`);
      await page.locator('#chart-replicas .markers li[data-from="2"][data-to="1"]').waitFor({timeout: 90000});
    } finally {
      await fetch(gw + '/system/functions', {method: 'DELETE', headers: {Authorization: auth},
        body: JSON.stringify({functionName: loaded})}).catch(() => {});
    }
    await page.goto(`${gw}/ui/#/function/${ns}/${fn}`);
    await page.locator('#replicas', {hasText: '1 available of 1'}).waitFor();
  });

  await step('read its logs, and follow new lines', async () => {
    await page.locator('#logs-tail').fill('-1');
    await page.locator('#logs-start').click();
    await page.locator('#logs', {hasText: 'Forking fprocess'}).waitFor({timeout: 30000});
    const before = await page.locator('#logs > div').count();
    const res = await fetch(`${gw}/function/${fn}`, {method: 'POST', body: 'another call'});
    assert(res.status === 200, `invoke ${res.status}`);
    await page.waitForFunction((n) => document.querySelectorAll('#logs > div').length > n, before,
      {timeout: 30000});
    await page.locator('#logs-start', {hasText: 'Stop'}).click();
    await page.locator('#logs-state', {hasText: 'Stopped'}).waitFor();
    await page.locator('#logs').scrollIntoViewIfNeeded();
    await shot('function-logs');
  });

  await step('the functions table updates live (invocations) without a reload', async () => {
    await page.getByRole('link', {name: 'Functions', exact: true}).click();
    const row = page.locator(`tr[data-function="${fn}"]`);
    await row.waitFor();
    const cell = row.locator('td').nth(4);
    const before = Number(await cell.textContent());
    const navigations = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const res = await fetch(`${gw}/function/${fn}`, {method: 'POST', body: 'count me'});
    assert(res.status === 200, `invoke ${res.status}`);
    await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.textContent) > n,
      [`tr[data-function="${fn}"] td:nth-child(5)`, before], {timeout: 10000});
    assert(!navigations.some((u) => !u.includes('#')), `the page reloaded: ${navigations}`);
    assert((await row.locator('.replicas').textContent()) === '1/1', 'replicas not 1/1');
    await shot('functions');
  });

  await step('async: a request is listed and deleted, or a readable "not available" message', async () => {
    await page.getByRole('link', {name: 'Async', exact: true}).click();
    await page.locator('#async-unavailable, #async-recent table, #async-recent .empty').first().waitFor();
    const probe = await apiGet('/system/async-requests');
    if (probe.status === 501 || probe.status === 404) {
      await page.locator('#async-unavailable', {hasText: 'asynchronous queue is not available'}).waitFor();
      await shot('async');
      return;
    }
    assert(probe.status === 200, `async list ${probe.status}`);
    const res = await fetch(`${gw}/async-function/${fn}`, {method: 'POST', body: 'later'});
    assert(res.status === 202, `async invoke ${res.status}`);
    const id = res.headers.get('X-Call-Id');
    const row = page.locator(`#async-recent tr[data-call="${id}"]`);
    await row.filter({hasText: 'completed'}).waitFor({timeout: 60000});
    await shot('async');
    await row.getByRole('button', {name: 'Delete'}).click();
    await page.locator('#confirm-ok').click();
    await row.waitFor({state: 'detached', timeout: 10000});
    const after = await apiGet('/system/async-requests');
    assert(!after.body.some((r) => r.callId === id), 'the request is still listed');
  });

  await step('scale it to 2', async () => {
    await page.getByRole('link', {name: 'Functions', exact: true}).click();
    await page.locator(`tr[data-function="${fn}"] a`).click();
    await page.locator('#replicas', {hasText: 'available of'}).waitFor();
    await page.locator('#scale-replicas').fill('2');
    await page.getByRole('button', {name: 'Scale', exact: true}).click();
    await page.locator('#scale-result', {hasText: `${fn} runs 2 replicas`}).waitFor({timeout: kSlow});
    const got = await apiGet(`/system/function/${fn}`);
    assert(got.body.replicas === 2 && got.body.availableReplicas === 2, JSON.stringify(got.body));
  });

  await step('scale it to 0', async () => {
    await page.locator('#scale-replicas').fill('0');
    await page.getByRole('button', {name: 'Scale', exact: true}).click();
    await page.locator('#scale-result', {hasText: `${fn} runs 0 replicas`}).waitFor({timeout: kSlow});
    await page.locator('#replicas', {hasText: '0 available of 0'}).waitFor();
    const got = await apiGet(`/system/function/${fn}`);
    assert(got.body.replicas === 0 && got.body.availableReplicas === 0, JSON.stringify(got.body));
  });

  await step('update its image (shown prefilled) to another tag', async () => {
    const input = page.locator('#update-image');
    await page.waitForFunction((img) => document.querySelector('#update-image').value === img, image);
    await input.fill(image2);
    await page.getByRole('button', {name: 'Update', exact: true}).click();
    await page.locator('form', {has: input}).getByRole('status').filter({hasText: `now runs ${image2}`})
      .waitFor({timeout: kSlow});
    const got = await apiGet(`/system/function/${fn}`);
    assert(got.body.image === image2 && got.body.labels.team === 'web' && got.body.envProcess === 'cat',
      `after the update: ${JSON.stringify(got.body)}`);
    await page.locator('#function-facts', {hasText: image2}).waitFor();
  });

  await step('secrets: create one, its value is never shown, delete it', async () => {
    await page.getByRole('link', {name: 'Secrets', exact: true}).click();
    await page.getByRole('heading', {name: /Secrets/}).waitFor();
    await page.locator('#secret-name').fill('bad/name');
    await page.getByRole('button', {name: 'Create secret'}).click();
    await page.locator('#secret-name-error', {hasText: "must not contain '/'"}).waitFor();
    await page.locator('#secret-name').fill('web-token');
    await page.locator('#secret-value').fill('s3cret-value-123');
    await page.getByRole('button', {name: 'Create secret'}).click();
    await page.locator('tr[data-secret="web-token"]').waitFor();
    const html = await page.content();
    assert(!html.includes('s3cret-value-123'), 'the value is on the page');
    await shot('secrets');
    await page.getByRole('button', {name: 'Delete secret web-token'}).click();
    await page.locator('#confirm-ok').click();
    await page.locator('tr[data-secret="web-token"]').waitFor({state: 'detached'});
    const got = await apiGet(`/system/secrets?namespace=${ns}`);
    assert(!got.body.some((s) => s.name === 'web-token'), 'the secret is still listed');
  });

  await step('narrow window: no sideways scrolling, tables become cards', async () => {
    await page.setViewportSize({width: 380, height: 800});
    await page.getByRole('link', {name: 'Functions', exact: true}).click();
    const row = page.locator(`tr[data-function="${fn}"]`);
    await row.waitFor();
    assert(await row.evaluate((tr) => getComputedStyle(tr).display) === 'block', 'rows are not cards');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert(overflow <= 1, `the page is ${overflow}px wider than the window`);
    await shot('functions-narrow');
    await page.setViewportSize({width: 1280, height: 860});
  });

  await step('a cron function shows its schedule and its last runs', async () => {
    const res = await fetch(gw + '/system/functions', {method: 'POST', headers: {Authorization: auth},
      body: JSON.stringify({service: 'webcron', image, envProcess: 'cat',
        annotations: {'topic': 'cron-function', 'schedule': '@every 2s'}})});
    assert(res.status === 202 || res.status === 200, `deploy answered ${res.status}`);
    await page.goto(`${gw}/ui/#/function/${ns}/webcron`);
    const panel = page.locator('#triggers');
    await panel.locator('code', {hasText: '@every 2s'}).waitFor({timeout: kSlow});
    await panel.locator('td', {hasText: 'completed (200)'}).first().waitFor({timeout: 60000});
    await shot('function-triggers');
    const gone = await fetch(gw + '/system/functions', {method: 'DELETE', headers: {Authorization: auth},
      body: JSON.stringify({functionName: 'webcron'})});
    assert(gone.status === 202, `delete answered ${gone.status}`);
  });

  await step('the function list draws a sparkline for each of 20 functions', async () => {
    const names = Array.from({length: 20}, (_, i) => `spark${String(i + 1).padStart(2, '0')}`);
    try {
      for (const name of names) {
        const res = await fetch(gw + '/system/functions', {method: 'POST', headers: {Authorization: auth},
          body: JSON.stringify({service: name, image, envProcess: 'cat'})});
        assert(res.status === 202 || res.status === 200, `deploy ${name} answered ${res.status}`);
      }
      for (const name of names.slice(0, 5)) {
        const res = await fetch(`${gw}/function/${name}`, {method: 'POST', body: 'spark'});
        assert(res.status === 200, `invoke ${name} answered ${res.status}`);
      }
      await page.getByRole('link', {name: 'Functions', exact: true}).click();
      await page.waitForFunction((n) => document.querySelectorAll(
        '#functions-table tr[data-function^="spark"] svg.spark polyline').length === n, names.length,
      {timeout: 60000});
      await shot('functions-sparklines');
    } finally {
      for (const name of names) {
        await fetch(gw + '/system/functions', {method: 'DELETE', headers: {Authorization: auth},
          body: JSON.stringify({functionName: name})}).catch(() => {});
      }
    }
  });

  await step('opened as http://user:password@host/ui/, the page loads its function list', async () => {
    const bare = await browser.newContext({viewport: {width: 1280, height: 860}});
    const p = await bare.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    const url = new URL(`${gw}/ui/`);
    url.username = user;
    url.password = pass;
    const res = await p.goto(url.href);
    assert(res.status() === 200, `status ${res.status()}`);
    await p.locator(`tr[data-function="${fn}"]`).waitFor({timeout: 30000});
    assert(await p.locator('#banner').isHidden(), `an error banner: ${await p.locator('#banner').textContent()}`);
    assert(!(await p.locator('#conn').getAttribute('class')).includes('bad'), 'the header says offline');
    assert(errors.length === 0, `script errors: ${errors.join('; ')}`);
    await bare.close();
  });

  await step('delete it, after a confirmation (cancel keeps it)', async () => {
    await page.goto(`${gw}/ui/#/function/${ns}/${fn}`);
    await page.locator('#replicas', {hasText: 'available of'}).waitFor();
    await page.locator('#delete-function').click();
    await page.locator('#confirm[open]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#confirm[open]').waitFor({state: 'detached'});
    assert((await apiGet(`/system/function/${fn}`)).status === 200, 'cancel deleted it');
    await page.locator('#delete-function').click();
    await page.locator('#confirm-ok').click();
    await page.waitForURL('**/ui/#/functions');
    await page.locator(`tr[data-function="${fn}"]`).waitFor({state: 'detached', timeout: 30000});
    assert((await apiGet(`/system/function/${fn}`)).status === 404, 'still there');
  });

  assert(pageErrors.length === 0, `script errors on the page: ${pageErrors.join('; ')}`);
  console.log(`ok: no script errors on the page`);
  passed++;
} catch (e) {
  if (e.message !== 'stopped') console.log(`FAILED: ${e.message}`);
  exitCode = 1;
} finally {
  await browser.close();
}
console.log(`browser steps passed: ${passed}`);
process.exit(exitCode);

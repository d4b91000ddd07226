// The gateway's REST API (OpenFaaS's), with errors turned into readable
// messages. The browser already holds the basic-auth credentials it used
// to open /ui/, and sends them to /system/* by itself.
//
// Every URL is made absolute from location.origin: a page opened as
// http://user:password@host:8080/ui/ would otherwise give its credentials
// to each relative URL, and browsers refuse fetch() to a URL carrying
// credentials. The origin never holds them; the browser's auth cache does.

export class ApiError extends Error {
  constructor(status, message, detail = '') {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

const kWhat = {
  400: 'The gateway rejected the request',
  401: 'Not signed in, or the credentials were rejected: reload the page to sign in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'The gateway does not support this here',
  409: 'Already exists or in the wrong state',
  413: 'The request body is too large',
  422: 'Invalid parameters',
  429: 'Too many requests',
  500: 'The gateway failed',
  501: 'Not available on this gateway',
  502: 'The function could not be reached',
  503: 'Unavailable',
  504: 'Timed out',
};

export function describeStatus(status) {
  return kWhat[status] || `HTTP ${status}`;
}

// The gateway's URL for a path (and query), without credentials.
export function gatewayUrl(path, query) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  return url.href;
}

// Sends a request; answers the parsed JSON (or text, or null for an empty
// body). Throws ApiError with the gateway's own message on any non-2xx.
export async function api(method, path, {body, query, signal, raw} = {}) {
  const init = {method, signal, headers: {}, credentials: 'same-origin'};
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(gatewayUrl(path, query), init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The gateway did not answer (network error): is faasd running?');
  }
  if (raw) {
    if (!res.ok) throw await errorFrom(res);
    return res;
  }
  const text = await res.text();
  if (!res.ok) throw makeError(res.status, text);
  const type = res.headers.get('Content-Type') || '';
  if (!text) return null;
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'The gateway answered JSON that could not be read');
    }
  }
  return text;
}

async function errorFrom(res) {
  let text = '';
  try { text = await res.text(); } catch { /* the body is optional */ }
  return makeError(res.status, text);
}

function makeError(status, text) {
  const detail = (text || '').trim().slice(0, 2000);
  const what = describeStatus(status);
  return new ApiError(status, detail ? `${what} (${status}): ${detail}` : `${what} (${status})`,
    detail);
}

export const functionsApi = {
  list: (ns, signal) => api('GET', '/system/functions', {query: {namespace: ns}, signal}),
  get: (name, ns, signal) =>
    api('GET', `/system/function/${encodeURIComponent(name)}`, {query: {namespace: ns}, signal}),
  deploy: (d) => api('POST', '/system/functions', {body: d}),
  update: (d) => api('PUT', '/system/functions', {body: d}),
  remove: (name, ns) =>
    api('DELETE', '/system/functions', {body: {functionName: name, namespace: ns}}),
  scale: (name, ns, replicas) =>
    api('POST', `/system/scale-function/${encodeURIComponent(name)}`,
      {body: {serviceName: name, namespace: ns, replicas}}),
};

export const secretsApi = {
  list: (ns) => api('GET', '/system/secrets', {query: {namespace: ns}}),
  create: (secret) => api('POST', '/system/secrets', {body: secret}),
  remove: (name, ns) => api('DELETE', '/system/secrets', {body: {name, namespace: ns}}),
};

export const asyncApi = {
  list: (query, signal) => api('GET', '/system/async-requests', {query, signal}),
  retry: (id) => api('POST', `/system/async-requests/${encodeURIComponent(id)}/retry`),
  remove: (id) => api('DELETE', `/system/async-requests/${encodeURIComponent(id)}`),
};

// The metrics history: ?function=&namespace= for one function, or the VM
// with a summary of each function; range 15m, 1h or 24h; since (unix
// seconds) for the points from then on.
export const historyApi = {
  get: (query, signal) => api('GET', '/system/metrics/history', {query, signal}),
};

export const triggersApi = {
  list: (ns, signal) => api('GET', '/system/triggers', {query: {namespace: ns}, signal}),
};

export const clusterApi = {
  status: (signal) => api('GET', '/system/cluster', {signal}),
};

export function namespaces() {
  return api('GET', '/system/namespaces');
}

// Streams /system/logs: calls onLine(object) per NDJSON line until the
// stream ends or signal aborts.
export async function streamLogs(query, onLine, signal) {
  const res = await api('GET', '/system/logs', {query, signal, raw: true});
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, {stream: true});
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      try {
        onLine(JSON.parse(line));
      } catch {
        onLine({text: line, timestamp: '', instance: ''});
      }
    }
  }
}

// The URL a function answers at: ORIGIN/function/name.ns/path?query
export function functionUrl(name, ns, path = '', query = '') {
  let p = path.trim();
  if (p && !p.startsWith('/')) p = `/${p}`;
  const q = query.trim().replace(/^\?/, '');
  return `${location.origin}/function/${encodeURIComponent(name)}.${encodeURIComponent(ns)}` +
    `${encodePath(p)}${q ? `?${q}` : ''}`;
}

function encodePath(p) {
  return p.split('/').map((s) => encodeURIComponent(decodeURIComponentSafe(s))).join('/');
}

function decodeURIComponentSafe(s) {
  try { return decodeURIComponent(s); } catch { return s; }
}

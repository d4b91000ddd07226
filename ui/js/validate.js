// The API's input rules (src/api/validate.cpp, the provider's deployment
// checks), so a form can say what is wrong next to the field before it is
// sent. Each returns '' when the value is fine, else the message.

export function functionName(name, what = 'function name') {
  if (!name) return `${what} is required`;
  if (name.length > 63) return `${what} is longer than 63 characters`;
  if (!/^[a-z0-9-]+$/.test(name)) return `${what} must consist of lowercase letters, digits and '-'`;
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return `${what} must start and end with a lowercase letter or digit`;
  }
  return '';
}

export function secretName(name) {
  if (!name) return 'secret name is required';
  if (name.length > 253) return 'secret name is longer than 253 characters';
  if (name.includes('/') || name.includes('..') || name === '.') {
    return "secret name must not contain '/' or '..'";
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return "secret name may contain only letters, digits, '-', '_' and '.'";
  }
  return '';
}

const kNumber = /^(\d+\.?\d*|\.\d+)$/;

export function memory(text) {
  if (!text) return '';
  const m = /^(.*?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(text);
  const factors = {Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, K: 1e3, M: 1e6,
    G: 1e9, T: 1e12};
  const number = m[1];
  const factor = m[2] ? factors[m[2]] : 1;
  if (!kNumber.test(number) || Number(number) * factor < 1) {
    return `"${text}" is not a size like 128Mi, 1Gi, 512M or a number of bytes`;
  }
  return '';
}

export function cpu(text) {
  if (!text) return '';
  let millis = NaN;
  if (text.length > 1 && text.endsWith('m') && kNumber.test(text.slice(0, -1))) {
    millis = Number(text.slice(0, -1));
  } else if (kNumber.test(text)) {
    millis = Number(text) * 1000;
  }
  if (!(millis >= 1)) return `"${text}" is not a quantity like 100m, 0.5 or 2`;
  return '';
}

// "KEY=value" lines (blank lines and # comments skipped) into an object.
// Answers {map, error}; error names the first bad line.
export function parsePairs(text, what, {keyRule} = {}) {
  const map = {};
  const lines = (text || '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (eq < 0) return {map, error: `line ${i + 1}: "${line}" is not KEY=value`};
    if (!key) return {map, error: `line ${i + 1}: ${what} may not have an empty key`};
    if (keyRule) {
      const err = keyRule(key);
      if (err) return {map, error: `line ${i + 1}: ${err}`};
    }
    if (key.length + value.length + 28 > 4096) {
      return {map, error: `line ${i + 1}: ${key} is longer than 4 KiB`};
    }
    map[key] = value;
  }
  return {map, error: ''};
}

export function envKey(key) {
  return key.includes('=') ? `"${key}" is not a variable name` : '';
}

// "Name: value" header lines into [[name, value]].
export function parseHeaders(text) {
  const out = [];
  const lines = (text || '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      return {headers: out, error: `line ${i + 1}: "${line}" is not "Name: value"`};
    }
    out.push([name, line.slice(colon + 1).trim()]);
  }
  return {headers: out, error: ''};
}

// The node template's entry point: an HTTP server on 127.0.0.1:3000
// (fwatchdog's upstream_url in http mode) that hands every request,
// whatever its method and path, to the function in function/handler.js:
//
//   module.exports = async (event, context) => ...
//
// Built-in modules only. The port can be changed with the http_port
// environment variable.
"use strict";

const http = require("http");
const os = require("os");

const handler = require("./function/handler.js");

// event.body: parsed JSON for application/json (and */*+json), a string
// for text/*, a Buffer otherwise; an empty body is {} whatever the type,
// as in OpenFaaS's node templates.
function parseBody(raw, contentType) {
  if (raw.length === 0) {
    return {};
  }
  const type = (contentType || "").split(";")[0].trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) {
    return JSON.parse(raw.toString("utf8"));
  }
  if (type.startsWith("text/")) {
    return raw.toString("utf8");
  }
  return raw;
}

class FunctionEvent {
  constructor(req, url, body) {
    this.body = body;
    this.headers = req.headers;
    this.method = req.method;
    this.query = Object.fromEntries(url.searchParams);
    this.path = url.pathname;
  }
}

// What the handler answers with: status(), headers(), succeed() and
// fail() each return the context, so calls chain and the chain can be
// returned.
class FunctionContext {
  constructor() {
    this.statusCode = 200;
    this.statusSet = false;
    this.headerValues = {};
    this.settled = false;
    this.value = undefined;
    this.error = undefined;
    this.hostname = os.hostname();
  }

  status(code) {
    if (code === undefined) {
      return this.statusCode;
    }
    this.statusCode = code;
    this.statusSet = true;
    return this;
  }

  headers(values) {
    if (values === undefined) {
      return this.headerValues;
    }
    Object.assign(this.headerValues, values);
    return this;
  }

  succeed(value) {
    if (!this.settled) {
      this.settled = true;
      this.value = value;
    }
    return this;
  }

  fail(error) {
    if (!this.settled) {
      this.settled = true;
      this.error = error === undefined ? new Error("the function failed") : error;
    }
    return this;
  }
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

// [body bytes, content type or undefined] for a value: objects and arrays
// as JSON, strings as text, Buffers as they are.
function encode(value) {
  if (value === undefined || value === null) {
    return [Buffer.alloc(0), undefined];
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return [Buffer.from(value), "application/octet-stream"];
  }
  if (typeof value === "object") {
    return [Buffer.from(JSON.stringify(value)), "application/json"];
  }
  return [Buffer.from(String(value)), "text/plain; charset=utf-8"];
}

function errorText(error) {
  if (error instanceof Error) {
    return error.toString();
  }
  return typeof error === "object" ? JSON.stringify(error) : String(error);
}

function send(req, res, status, headers, body, contentType) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower !== "content-length" && lower !== "transfer-encoding" && lower !== "connection") {
      out[name] = value;
    }
  }
  if (contentType && !hasHeader(out, "content-type") && body.length > 0) {
    out["Content-Type"] = contentType;
  }
  const noBody = status < 200 || status === 204 || status === 304;
  if (!noBody) {
    out["Content-Length"] = body.length;
  }
  res.writeHead(status, out);
  res.end(noBody || req.method === "HEAD" ? undefined : body);
}

function validStatus(code) {
  return Number.isInteger(code) && code >= 100 && code <= 599;
}

function fail(req, res, context, error) {
  console.error(error instanceof Error && error.stack ? error.stack : errorText(error));
  const status = context.statusSet && validStatus(context.statusCode) ? context.statusCode : 500;
  const [body] = encode(errorText(error));
  send(req, res, status, context.headerValues, body, "text/plain; charset=utf-8");
}

async function serve(req, res, raw) {
  const url = new URL(req.url, "http://localhost");
  const context = new FunctionContext();
  let body;
  try {
    body = parseBody(raw, req.headers["content-type"]);
  } catch (error) {
    const [text] = encode(`invalid JSON body: ${error.message}`);
    send(req, res, 400, {}, text, "text/plain; charset=utf-8");
    return;
  }
  let result;
  try {
    result = await handler(new FunctionEvent(req, url, body), context);
  } catch (error) {
    fail(req, res, context, error);
    return;
  }
  if (context.settled && context.error !== undefined) {
    fail(req, res, context, context.error);
    return;
  }
  if (!validStatus(context.statusCode)) {
    fail(req, res, context, new RangeError(`invalid status code ${context.statusCode}`));
    return;
  }
  const value = context.settled ? context.value : result === context ? undefined : result;
  const [payload, contentType] = encode(value);
  send(req, res, context.statusCode, context.headerValues, payload, contentType);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    serve(req, res, Buffer.concat(chunks)).catch((error) => {
      console.error(error);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      }
      res.end();
    });
  });
});

// On SIGTERM: no new connections, idle keep-alive ones closed, calls in
// flight finish (for at most 10 seconds), then exit.
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10000).unref();
});

const port = Number(process.env.http_port || 3000);
server.listen(port, "127.0.0.1", () => {
  console.error(`node: listening on 127.0.0.1:${port}`);
});

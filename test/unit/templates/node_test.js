// The node template's handler contract: index.js started with this
// machine's node on a free port (http_port), with node/handler.js as the
// function, and called over HTTP.
//
// Usage: node node_test.js TEMPLATE_DIR   (templates/node)
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const template = process.argv[2];
if (!template) {
  console.error("usage: node node_test.js TEMPLATE_DIR");
  process.exit(2);
}

let dir;
let port;
let proc;
let output = "";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });
}

function connects(p) {
  return new Promise((resolve) => {
    const socket = net.connect(p, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

// {status, headers, body (Buffer)} of one call.
function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path: urlPath, headers, agent: false },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const json = (res) => JSON.parse(res.body.toString());

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "faasd-node-"));
  fs.copyFileSync(path.join(template, "index.js"), path.join(dir, "index.js"));
  fs.cpSync(path.join(__dirname, "node"), path.join(dir, "function"), { recursive: true });
  port = await freePort();
  proc = spawn(process.execPath, ["index.js"], {
    cwd: dir,
    env: { ...process.env, http_port: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`index.js exited with ${proc.exitCode}:\n${output}`);
    }
    if (await connects(port)) {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`index.js did not listen on ${port} in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.on("exit", r));
    proc.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test("context.status().headers().succeed() chains", async () => {
  const res = await call("POST", "/chain?a=1&b=two", "{}", { "X-Test": "yes", "Content-Type": "application/json" });
  assert.equal(res.status, 201);
  assert.equal(res.headers["x-a"], "1");
  assert.equal(res.headers["content-type"], "application/json");
  assert.deepEqual(json(res), {
    ok: true,
    method: "POST",
    path: "/chain",
    query: { a: "1", b: "two" },
    header: "yes",
  });
});

test("context.fail() is a 500 with the error's text", async () => {
  const res = await call("GET", "/fail");
  assert.equal(res.status, 500);
  assert.match(res.body.toString(), /it failed/);
});

test("context.fail() keeps a status and headers set before it", async () => {
  const res = await call("GET", "/fail-status");
  assert.equal(res.status, 422);
  assert.equal(res.headers["x-why"], "input");
  assert.equal(res.body.toString(), "bad input");
});

test("a throw or a rejection is a 500 with the error's text, logged", async () => {
  let res = await call("POST", "/throw", "x");
  assert.equal(res.status, 500);
  assert.match(res.body.toString(), /thrown by the handler/);
  res = await call("GET", "/reject");
  assert.equal(res.status, 500);
  assert.match(res.body.toString(), /TypeError: rejected/);
  const deadline = Date.now() + 10000;
  while (!output.includes("thrown by the handler") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(output, /Error: thrown by the handler\n\s+at /);
});

test("a returned value without succeed() is the body", async () => {
  let res = await call("GET", "/returned");
  assert.equal(res.status, 200);
  assert.equal(res.headers["content-type"], "application/json");
  assert.deepEqual(json(res), { returned: true });
  res = await call("GET", "/returned-list");
  assert.deepEqual(json(res), [1, 2, 3]);
  res = await call("GET", "/string");
  assert.equal(res.status, 200);
  assert.match(res.headers["content-type"], /^text\/plain/);
  assert.equal(res.body.toString(), "just text");
  res = await call("GET", "/buffer");
  assert.deepEqual([...res.body], [0, 1, 255]);
  res = await call("GET", "/nothing");
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 0);
});

test("a returned context with only a status answers it with no body", async () => {
  const res = await call("GET", "/status-only");
  assert.equal(res.status, 204);
  assert.equal(res.body.length, 0);
});

test("an invalid status code is a 500 naming it", async () => {
  const res = await call("GET", "/bad-status");
  assert.equal(res.status, 500);
  assert.match(res.body.toString(), /invalid status code teapot/);
});

test("succeed() after an await", async () => {
  const res = await call("GET", "/later");
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), "after a while");
});

test("the handler's content type is kept", async () => {
  const res = await call("GET", "/typed");
  assert.equal(res.headers["content-type"], "text/html");
  assert.equal(res.body.toString(), "<p>hi</p>");
});

test("event.body follows the content type", async () => {
  let res = await call("POST", "/body", '{"n":[1,2]}', { "Content-Type": "application/json; charset=utf-8" });
  assert.deepEqual(json(res), { kind: "object", body: { n: [1, 2] } });
  res = await call("POST", "/body", "[1]", { "Content-Type": "application/vnd.api+json" });
  assert.deepEqual(json(res), { kind: "array", body: [1] });
  res = await call("POST", "/body", "some text", { "Content-Type": "text/plain" });
  assert.deepEqual(json(res), { kind: "string", body: "some text" });
  res = await call("POST", "/body", Buffer.from([1, 2, 3]), { "Content-Type": "application/octet-stream" });
  assert.deepEqual(json(res), { kind: "buffer", body: "010203" });
  res = await call("POST", "/body", "", { "Content-Type": "application/json" });
  assert.deepEqual(json(res), { kind: "object", body: {} });
  res = await call("GET", "/body");
  assert.deepEqual(json(res), { kind: "object", body: {} });
});

test("a body that is not the JSON it says it is: 400", async () => {
  const res = await call("POST", "/body", "{not json", { "Content-Type": "application/json" });
  assert.equal(res.status, 400);
  assert.match(res.body.toString(), /invalid JSON/);
});

test("every method and path reaches the handler", async () => {
  for (const method of ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
    const res = await call(method, "/a/b?c=d");
    assert.equal(res.status, 200, method);
    assert.equal(res.body.toString(), `${method} /a/b`);
  }
});

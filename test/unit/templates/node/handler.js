"use strict";

// The node contract tests' handler: each path shows one way of answering.
module.exports = async (event, context) => {
  switch (event.path) {
    case "/chain":
      return context.status(201).headers({ "X-A": "1" }).succeed({
        ok: true,
        method: event.method,
        path: event.path,
        query: event.query,
        header: event.headers["x-test"],
      });
    case "/fail":
      return context.fail(new Error("it failed"));
    case "/fail-status":
      return context.status(422).headers({ "X-Why": "input" }).fail("bad input");
    case "/throw":
      throw new Error("thrown by the handler");
    case "/reject":
      return Promise.reject(new TypeError("rejected"));
    case "/returned":
      return { returned: true };
    case "/returned-list":
      return [1, 2, 3];
    case "/string":
      return "just text";
    case "/buffer":
      return Buffer.from([0, 1, 255]);
    case "/nothing":
      return undefined;
    case "/status-only":
      return context.status(204);
    case "/later":
      await new Promise((resolve) => setTimeout(resolve, 20));
      return context.succeed("after a while");
    case "/bad-status":
      return context.status("teapot").succeed("x");
    case "/typed":
      return context.headers({ "Content-Type": "text/html" }).succeed("<p>hi</p>");
    case "/body":
      return {
        kind: Buffer.isBuffer(event.body) ? "buffer" : Array.isArray(event.body) ? "array" : typeof event.body,
        body: Buffer.isBuffer(event.body) ? event.body.toString("hex") : event.body,
      };
    default:
      return `${event.method} ${event.path}`;
  }
};

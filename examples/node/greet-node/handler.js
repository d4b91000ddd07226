"use strict";

// Greets the name in a JSON body ({"name": "Ada"}) with the greeting the
// query string names (?greeting=Hi); anything but GET and POST is refused.
module.exports = async (event, context) => {
  if (event.method !== "GET" && event.method !== "POST") {
    return context.status(405).headers({ Allow: "GET, POST" }).fail("only GET and POST");
  }
  const name = (event.body && typeof event.body === "object" && event.body.name) || "stranger";
  const greeting = event.query.greeting || "Hello";
  return context
    .status(200)
    .headers({ "X-Greeting": "node" })
    .succeed({ message: `${greeting}, ${name}!`, host: context.hostname });
};

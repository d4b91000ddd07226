# The python3-http contract tests' handler: each path shows one way of
# answering.
import json


def handle(event, context):
    if event.path == "/envelope":
        return {
            "statusCode": 201,
            "body": {
                "method": event.method,
                "path": event.path,
                "query": event.query,
                "all_b": event.query.getlist("b"),
                "header": event.headers.get("x-test"),
                "header_upper": event.headers["X-TEST"],
                "has_header": "X-Test" in event.headers,
                "body": event.body.decode(),
                "body_type": type(event.body).__name__,
                "hostname": bool(context.hostname),
            },
            "headers": {"X-Handler": "python"},
        }
    if event.path == "/status":
        return {"statusCode": 404, "body": "nothing here"}
    if event.path == "/no-content":
        return {"statusCode": 204}
    if event.path == "/typed":
        return {"body": "<p>hi</p>", "headers": {"Content-Type": "text/html"}}
    if event.path == "/json":
        return {"got": json.loads(event.body)}
    if event.path == "/list":
        return [1, "two", None]
    if event.path == "/bytes":
        return b"\x00\x01\xff"
    if event.path == "/none":
        return None
    if event.path == "/boom":
        raise ValueError("boom went the handler")
    if event.path == "/bad-status":
        return {"statusCode": "not a number"}
    # Anything else: a plain value, the body with 200.
    return "%s %s %s" % (event.method, event.path, event.body.decode())

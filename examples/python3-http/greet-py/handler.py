import json


def handle(event, context):
    """Greets the name in a JSON body ({"name": "Ada"}) with the greeting
    the query string names (?greeting=Hi); anything but GET and POST is
    refused."""
    if event.method not in ("GET", "POST"):
        return {"statusCode": 405, "body": "only GET and POST",
                "headers": {"Allow": "GET, POST"}}
    try:
        data = json.loads(event.body) if event.body else {}
    except ValueError as err:
        return {"statusCode": 400, "body": "the body is not JSON: %s" % err}
    name = data.get("name", "stranger") if isinstance(data, dict) else "stranger"
    greeting = event.query.get("greeting", "Hello")
    return {
        "statusCode": 200,
        "body": {"message": "%s, %s!" % (greeting, name), "host": context.hostname},
        "headers": {"X-Greeting": "python3-http"},
    }

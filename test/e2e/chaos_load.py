"""Load and callbacks for chaos_test.sh, loopback only.

receiver PORT FILE
    answers POST /cb with 200 and appends "<X-Call-Id> <X-Function-Status>"
    to FILE, one line per callback.
load URL PREFIX CALLBACK DIR COUNT SECONDS RATE
    sends at most COUNT requests in at most SECONDS, RATE a second,
    alternating a sync POST to URL/function/echo and an async one to
    URL/async-function/echo with X-Call-Id PREFIX-<i> and X-Callback-Url
    CALLBACK; stops early when DIR/stop exists. Writes the call ids
    answered 202 to DIR/accepted (one a line, as they come) and
    "sync_ok sync_failed async_accepted async_refused" to DIR/summary.
functions URL USER:PASSWORD
    prints "name replicas availableReplicas" for each function in
    openfaas-fn.
"""
import base64
import http.client
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse


def receiver(port, path):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            with lock, open(path, "a") as out:
                out.write("%s %s\n" % (self.headers.get("X-Call-Id"),
                                       self.headers.get("X-Function-Status")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def post(host, port, path, body, headers):
    """The status, or 0 when there was no answer."""
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers=headers)
        res = conn.getresponse()
        res.read()
        return res.status, res.getheader("X-Call-Id")
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


def load(url, prefix, callback, out_dir, count, seconds, rate):
    u = urllib.parse.urlsplit(url)
    sync_ok = sync_failed = accepted = refused = 0
    start = time.monotonic()
    stop = os.path.join(out_dir, "stop")
    with open(os.path.join(out_dir, "accepted"), "a") as acc:
        for i in range(count):
            # Pacing, not waiting for a condition: request i goes at i/rate.
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() - start > seconds or os.path.exists(stop):
                break
            if i % 2 == 0:
                status, _ = post(u.hostname, u.port, "/function/echo", b"s%d" % i,
                                 {"Content-Type": "text/plain"})
                if status == 200:
                    sync_ok += 1
                else:
                    sync_failed += 1
            else:
                call_id = "%s-%d" % (prefix, i)
                status, got = post(u.hostname, u.port, "/async-function/echo", b"a%d" % i,
                                   {"X-Call-Id": call_id, "X-Callback-Url": callback,
                                    "Content-Type": "text/plain"})
                if status == 202:
                    accepted += 1
                    acc.write("%s\n" % (got or call_id))
                    acc.flush()
                else:
                    refused += 1
    with open(os.path.join(out_dir, "summary"), "w") as out:
        out.write("%d %d %d %d\n" % (sync_ok, sync_failed, accepted, refused))


def functions(url, credentials):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    auth = base64.b64encode(credentials.encode()).decode()
    conn.request("GET", "/system/functions?namespace=openfaas-fn",
                 headers={"Authorization": "Basic " + auth})
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        sys.exit(1)
    for f in json.loads(body):
        print(f["name"], f.get("replicas", 0), f.get("availableReplicas", 0))


if __name__ == "__main__":
    if sys.argv[1] == "receiver":
        receiver(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
             float(sys.argv[7]), float(sys.argv[8]))
    else:
        functions(sys.argv[2], sys.argv[3])

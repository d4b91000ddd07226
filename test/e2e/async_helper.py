"""Helpers of async_test.sh, loopback only.

receiver PORT FILE  -- answers POST /cb with 200 after 20 ms (a slow
                       consumer, so a drain takes a while) and appends
                       "<X-Call-Id> <X-Function-Status> <body>" to FILE.
send URL CALLBACK N -- POSTs N requests "m<i>" with X-Call-Id e2e-<i> and
                       X-Callback-Url CALLBACK over one connection; prints
                       the call ids answered 202, one a line.
"""
import http.client
import http.server
import sys
import threading
import time
import urllib.parse


def receiver(port, path):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode(errors="replace").strip()
            time.sleep(0.02)
            with lock, open(path, "a") as out:
                out.write("%s %s %s\n" % (self.headers.get("X-Call-Id"),
                                          self.headers.get("X-Function-Status"), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def send(url, callback, count):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for i in range(count):
        conn.request("POST", u.path, body="m%d" % i,
                     headers={"X-Call-Id": "e2e-%d" % i, "X-Callback-Url": callback,
                              "Content-Type": "text/plain"})
        res = conn.getresponse()
        res.read()
        if res.status == 202:
            print(res.getheader("X-Call-Id"), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "receiver":
        receiver(int(sys.argv[2]), sys.argv[3])
    else:
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]))

"""Helpers of async_test.sh, loopback only.

receiver PORT FILE [HOST]
                    -- answers POST /cb with 200 after 20 ms (a slow
                       consumer, so a drain takes a while) and appends
                       "<X-Call-Id> <X-Function-Status> <body>" to FILE;
                       on HOST (127.0.0.1); PORT 0 is a free port, written
                       to FILE.port once it listens.
count FILE ID...    -- prints how many of the IDs FILE has a callback for,
                       and how many callbacks FILE has for them in all.
send URL CALLBACK N -- POSTs N requests "m<i>" with X-Call-Id e2e-<i> and
                       X-Callback-Url CALLBACK over one connection; prints
                       the call ids answered 202, one a line.
"""
import http.client
import os
import http.server
import sys
import threading
import time
import urllib.parse


def receiver(port, path, host="127.0.0.1"):
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

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    if port == 0:
        with open(path + ".port.tmp", "w") as out:
            out.write(str(server.server_address[1]))
        os.rename(path + ".port.tmp", path + ".port")
    server.serve_forever()


def count(path, ids):
    wanted = set(ids)
    seen = set()
    total = 0
    try:
        with open(path) as f:
            for line in f:
                call_id = line.split(" ", 1)[0]
                if call_id in wanted:
                    seen.add(call_id)
                    total += 1
    except FileNotFoundError:
        pass
    print(len(seen), total)


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
        receiver(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
    elif sys.argv[1] == "count":
        count(sys.argv[2], sys.argv[3:])
    else:
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]))

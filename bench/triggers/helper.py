#!/usr/bin/env python3
"""bench/triggers/run.sh's load and arithmetic (standard library only).

  timer GW AUTH MODE START SECONDS FN:PERIOD...
      A cron-connector-like loop outside the daemon: a thread per function
      sleeps until each whole multiple of its period (seconds since the
      epoch) in [START, START + SECONDS) and POSTs to /function/FN (MODE
      sync) or /async-function/FN (MODE async) with X-Scheduled-Time and
      X-Connector: bench-MODE. Prints "sent N failed N".
  expected START SECONDS FN:PERIOD...
      How many runs those schedules have in [START, START + SECONDS).
  jitter LOGS REQUESTS CONNECTOR START SECONDS FN:PERIOD...
      LOGS: the functions' log lines (the logs API's JSON lines), REQUESTS:
      GET /system/async-requests. For the runs of CONNECTOR scheduled in
      the window: actual - scheduled (the function's own clock) and
      enqueuedAt - scheduled (runs found in the queue), in ms, and the
      median over the scheduled seconds of the time from the first run due
      then to be enqueued to the last. Prints "runs N expected N dup N p50
      p99 max enq_runs N enq_p50 enq_p99 enq_max spread S".
  send URL AUTH COUNT CONCURRENCY
      COUNT POSTs (body "m<i>") over CONCURRENCY keep-alive connections.
      Prints "seconds S failed N".
  count GW FN
      The function's invocations answered 200, from /metrics.
  wait GW FN TARGET TIMEOUT
      Polls count until it reaches TARGET; prints the time it did (epoch
      seconds), or exits 1 after TIMEOUT seconds printing the count reached.
  runs GW AUTH FN
      The runs its triggers started (GET /system/triggers: for an async run,
      committed to the queue).
  wait-runs GW AUTH FN TARGET TIMEOUT
      As wait, for runs.
"""

import base64
import datetime
import http.client
import json
import math
import re
import sys
import threading
import time
import urllib.parse


def schedules(args):
    out = []
    for a in args:
        fn, period = a.rsplit(":", 1)
        out.append((fn, int(period)))
    return out


def due(period, start, seconds):
    """The whole multiples of period in [start, start + seconds)."""
    first = math.ceil(start / period) * period
    return list(range(first, start + seconds, period))


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    text = text.strip()
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not m:
        raise ValueError(text)
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    zone = m.group(3)
    offset = 0
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    seconds = base.replace(tzinfo=datetime.timezone.utc).timestamp() - offset
    frac = m.group(2) or ""
    return seconds + (int(frac) / 10 ** len(frac) if frac else 0.0)


def auth_header(auth):
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def connection(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30), u.path


def post(conn_box, url, path, headers, body):
    """One POST on a kept-alive connection (reopened once if it was closed)."""
    for attempt in (0, 1):
        try:
            if conn_box[0] is None:
                conn_box[0], _ = connection(url)
            conn_box[0].request("POST", path, body=body, headers=headers)
            r = conn_box[0].getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            if conn_box[0] is not None:
                conn_box[0].close()
            conn_box[0] = None
            if attempt:
                return 0
    return 0


def timer(gw, auth, mode, start, seconds, scheds):
    route = "/function/" if mode == "sync" else "/async-function/"
    lock = threading.Lock()
    totals = {"sent": 0, "failed": 0}

    def loop(fn, period):
        box = [None]
        for t in due(period, start, seconds):
            delay = t - time.time()
            if delay > 0:
                time.sleep(delay)
            headers = {"X-Scheduled-Time": rfc3339(t), "X-Connector": "bench-" + mode,
                       "X-Topic": "cron-function", "Content-Type": "text/plain"}
            status = post(box, gw, route + fn, headers, b"")
            with lock:
                totals["sent"] += 1
                if not 200 <= status < 300:
                    totals["failed"] += 1

    threads = [threading.Thread(target=loop, args=s, daemon=True) for s in scheds]
    for th in threads:
        th.start()
    for th in threads:
        th.join(seconds + 60)
    print("sent %d failed %d" % (totals["sent"], totals["failed"]))


def expected(start, seconds, scheds):
    return sum(len(due(p, start, seconds)) for _, p in scheds)


def percentile(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


LINE = re.compile(r"bench-run (\S+) (\S*) (\S+) (\d+) (\d+) (\d+)")


def jitter(logs, requests, connector, start, seconds, scheds):
    names = {fn for fn, _ in scheds}
    enqueued = {}
    with open(requests) as f:
        for r in json.load(f):
            if r["function"] in names:
                enqueued[r["callId"]] = parse_rfc3339(r["enqueuedAt"])
    delays, enq, seen, dup = [], [], set(), 0
    by_second = {}  # scheduled time -> the enqueuedAt of its runs
    with open(logs) as f:
        for raw in f:
            raw = raw.strip()
            if not raw.startswith("{"):
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            m = LINE.search(entry.get("text", ""))
            if not m or entry.get("name") not in names or m.group(3) != connector:
                continue
            sched_text, call_id, _, sec, sub, status = m.groups()
            sched = parse_rfc3339(sched_text)
            if not start <= sched < start + seconds:
                continue
            key = (entry["name"], sched)
            if key in seen:
                dup += 1
                continue
            seen.add(key)
            # adjtimex: the fraction is in ns when STA_NANO is set, else in us.
            actual = int(sec) + int(sub) / (1e9 if int(status) & 0x2000 else 1e6)
            delays.append((actual - sched) * 1000)
            if call_id in enqueued:
                enq.append((enqueued[call_id] - sched) * 1000)
                by_second.setdefault(sched, []).append(enqueued[call_id])
    n_expected = expected(start, seconds, scheds)

    def fmt(values):
        return " ".join("%.1f" % x for x in
                        (percentile(values, 0.5), percentile(values, 0.99),
                         max(values) if values else float("nan")))

    # How long the runs due at one second took to be enqueued, first to
    # last (seconds with more than one run).
    spread = [(max(v) - min(v)) * 1000 for v in by_second.values() if len(v) > 1]
    print("runs %d expected %d dup %d %s enq_runs %d %s spread %.1f" %
          (len(delays), n_expected, dup, fmt(delays), len(enq), fmt(enq),
           percentile(spread, 0.5)))


def send(url, auth, count, concurrency):
    base = urllib.parse.urlsplit(url)
    headers = dict(auth_header(auth)) if auth else {}
    headers["Content-Type"] = "text/plain"
    lock = threading.Lock()
    state = {"next": 0, "failed": 0}

    def worker():
        box = [None]
        while True:
            with lock:
                i = state["next"]
                if i >= count:
                    return
                state["next"] += 1
            status = post(box, url, base.path, headers, ("m%d" % i).encode())
            if not 200 <= status < 300:
                with lock:
                    state["failed"] += 1

    t0 = time.time()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("seconds %.3f failed %d" % (time.time() - t0, state["failed"]))


def count(gw, fn):
    conn, _ = connection(gw)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode(errors="replace")
    conn.close()
    total = 0
    want = re.compile(r'^gateway_function_invocation_total\{code="200",function_name="%s(\.[^"]*)?"\} (\d+)'
                      % re.escape(fn))
    for line in text.splitlines():
        m = want.match(line)
        if m:
            total += int(m.group(2))
    return total


def wait(gw, fn, target, timeout):
    deadline = time.time() + timeout
    n = count(gw, fn)
    while n < target:
        if time.time() > deadline:
            print(n)
            sys.exit(1)
        time.sleep(0.02)
        n = count(gw, fn)
    print("%.3f" % time.time())


def runs(gw, auth, fn):
    conn, _ = connection(gw)
    conn.request("GET", "/system/triggers", headers=auth_header(auth))
    triggers = json.loads(conn.getresponse().read())
    conn.close()
    return sum(t.get("runs", 0) for t in triggers if t.get("function") == fn)


def wait_runs(gw, auth, fn, target, timeout):
    deadline = time.time() + timeout
    n = runs(gw, auth, fn)
    while n < target:
        if time.time() > deadline:
            print(n)
            sys.exit(1)
        time.sleep(0.02)
        n = runs(gw, auth, fn)
    print("%.3f" % time.time())


def main(argv):
    cmd = argv[1]
    if cmd == "timer":
        timer(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), schedules(argv[7:]))
    elif cmd == "expected":
        print(expected(int(argv[2]), int(argv[3]), schedules(argv[4:])))
    elif cmd == "jitter":
        jitter(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), schedules(argv[7:]))
    elif cmd == "send":
        send(argv[2], argv[3], int(argv[4]), int(argv[5]))
    elif cmd == "count":
        print(count(argv[2], argv[3]))
    elif cmd == "runs":
        print(runs(argv[2], argv[3], argv[4]))
    elif cmd == "wait-runs":
        wait_runs(argv[2], argv[3], argv[4], int(argv[5]), float(argv[6]))
    elif cmd == "wait":
        wait(argv[2], argv[3], int(argv[4]), float(argv[5]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)

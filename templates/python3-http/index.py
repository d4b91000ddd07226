# The python3-http template's entry point: an HTTP server on 127.0.0.1:5000
# (fwatchdog's upstream_url in http mode) that hands every request, whatever
# its method and path, to function/handler.py's handle(event, context).
# Standard library only. The port can be changed with the http_port
# environment variable.
import json
import os
import signal
import socket
import sys
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from function import handler


class Headers(dict):
    """The request's headers as a dict (name as sent -> value); lookups
    with [], get and `in` ignore case. Repeated headers are joined with
    ", "."""

    def __init__(self, pairs=()):
        super().__init__()
        self._names = {}
        for name, value in pairs:
            known = self._names.get(name.lower())
            if known is None:
                self._names[name.lower()] = name
                dict.__setitem__(self, name, value)
            else:
                dict.__setitem__(self, known, dict.__getitem__(self, known) + ", " + value)

    def _key(self, name):
        if isinstance(name, str):
            return self._names.get(name.lower(), name)
        return name

    def __getitem__(self, name):
        return dict.__getitem__(self, self._key(name))

    def __contains__(self, name):
        return dict.__contains__(self, self._key(name))

    def get(self, name, default=None):
        return dict.get(self, self._key(name), default)


class Query(dict):
    """The query string as a dict (name -> first value); getlist(name)
    gives every value."""

    def __init__(self, raw):
        super().__init__()
        self._all = urllib.parse.parse_qs(raw, keep_blank_values=True)
        for name, values in self._all.items():
            self[name] = values[0]

    def getlist(self, name):
        return list(self._all.get(name, []))


class Event:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body


class Context:
    def __init__(self):
        self.hostname = os.getenv("HOSTNAME") or socket.gethostname()


ENVELOPE_KEYS = ("statusCode", "body", "headers")


def encode_body(body, headers):
    """bytes for body, setting a content type when the handler set none."""
    has_type = any(k.lower() == "content-type" for k in headers)
    if body is None:
        return b""
    if isinstance(body, (dict, list)):
        if not has_type:
            headers["Content-Type"] = "application/json"
        return json.dumps(body).encode()
    if isinstance(body, (bytes, bytearray, memoryview)):
        if not has_type:
            headers["Content-Type"] = "application/octet-stream"
        return bytes(body)
    if not has_type:
        headers["Content-Type"] = "text/plain; charset=utf-8"
    return str(body).encode()


def to_response(result):
    """(status, headers, body bytes) for what handle returned: a dict with
    statusCode, body and headers, or any other value as the body."""
    if isinstance(result, dict) and any(k in result for k in ENVELOPE_KEYS):
        status = int(result.get("statusCode") or 200)
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return status, headers, encode_body(result.get("body"), headers)
    headers = {}
    return 200, headers, encode_body(result, headers)


class ChunkedBodyError(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "python3-http"

    def __getattr__(self, name):
        # BaseHTTPRequestHandler calls do_<METHOD>: every method goes to
        # the same place.
        if name.startswith("do_"):
            return self.serve
        raise AttributeError(name)

    def log_request(self, code="-", size="-"):
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        size = int(length)
        if size < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(size)

    def read_chunked(self):
        parts = []
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ChunkedBodyError("bad chunk size line")
            if size == 0:
                break
            parts.append(self.rfile.read(size))
            self.rfile.readline(65537)
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    def serve(self):
        try:
            body = self.read_body()
        except (ValueError, ChunkedBodyError) as err:
            self.close_connection = True
            self.answer(400, {"Content-Type": "text/plain; charset=utf-8"},
                        ("bad request body: %s" % err).encode())
            return
        target = self.path
        if not target.startswith("/"):  # absolute form: http://host/path?query
            target = urllib.parse.urlsplit(target)._replace(scheme="", netloc="").geturl()
        path, _, query = target.partition("?")
        event = Event(self.command, urllib.parse.unquote(path) or "/",
                      Query(query), Headers(self.headers.items()), body)
        try:
            status, headers, payload = to_response(handler.handle(event, Context()))
        except Exception as err:
            traceback.print_exc()
            text = "".join(traceback.format_exception_only(type(err), err)).strip()
            status, headers, payload = 500, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()
        self.answer(status, headers, payload)

    def answer(self, status, headers, payload):
        self.send_response(status)
        no_body = status < 200 or status in (204, 304)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        if not no_body:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not no_body and self.command != "HEAD":
            self.wfile.write(payload)


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    port = int(os.getenv("http_port") or 5000)
    server = Server(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("python3-http: listening on 127.0.0.1:%d" % port, file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

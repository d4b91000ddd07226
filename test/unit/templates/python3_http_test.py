#!/usr/bin/env python3
"""The python3-http template's handler contract: index.py started with
this machine's python3 on a free port (http_port), with
python3-http/handler.py as the function, and called over HTTP.

Usage: python3_http_test.py TEMPLATE_DIR   (templates/python3-http)
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

TEMPLATE = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
HANDLER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python3-http")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Python3HttpContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="faasd-python3-http-")
        shutil.copy(os.path.join(TEMPLATE, "index.py"), cls.dir)
        shutil.copytree(HANDLER, os.path.join(cls.dir, "function"))
        cls.port = free_port()
        env = dict(os.environ, http_port=str(cls.port), PYTHONDONTWRITEBYTECODE="1",
                   PYTHONUNBUFFERED="1")
        cls.log = open(os.path.join(cls.dir, "stderr.log"), "w+")
        cls.proc = subprocess.Popen([sys.executable, "index.py"], cwd=cls.dir, env=env,
                                    stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if cls.proc.poll() is not None:
                raise RuntimeError("index.py exited with %s:\n%s" % (cls.proc.returncode, cls.output()))
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("index.py did not listen on %d in 30 s" % cls.port)
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        try:
            cls.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            cls.proc.wait()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def output(cls):
        cls.log.flush()
        with open(cls.log.name) as f:
            return f.read()

    def call(self, method, path, body=None, headers=None, conn=None, **kw):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {}, **kw)
            res = conn.getresponse()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
        finally:
            if own:
                conn.close()

    def test_envelope_with_status_body_and_headers(self):
        status, headers, body = self.call(
            "POST", "/envelope?a=1&b=2&b=3", body=b'{"k": "v"}',
            headers={"X-Test": "yes", "Content-Type": "application/json"})
        self.assertEqual(status, 201)
        self.assertEqual(headers["x-handler"], "python")
        self.assertEqual(headers["content-type"], "application/json")
        got = json.loads(body)
        self.assertEqual(got["method"], "POST")
        self.assertEqual(got["path"], "/envelope")
        self.assertEqual(got["query"], {"a": "1", "b": "2"})
        self.assertEqual(got["all_b"], ["2", "3"])
        self.assertEqual(got["header"], "yes")
        self.assertEqual(got["header_upper"], "yes")
        self.assertTrue(got["has_header"])
        self.assertEqual(got["body"], '{"k": "v"}')
        self.assertEqual(got["body_type"], "bytes")
        self.assertTrue(got["hostname"])

    def test_plain_return_is_the_body(self):
        status, headers, body = self.call("POST", "/anything", body=b"hello")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"POST /anything hello")
        self.assertTrue(headers["content-type"].startswith("text/plain"))

    def test_every_method_and_path_reaches_the_handler(self):
        for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"):
            status, _, body = self.call(method, "/deep/er/path%20x", body=b"b")
            self.assertEqual(status, 200, method)
            self.assertEqual(body, ("%s /deep/er/path x b" % method).encode())

    def test_status_without_json(self):
        status, _, body = self.call("GET", "/status")
        self.assertEqual((status, body), (404, b"nothing here"))

    def test_no_content(self):
        status, headers, body = self.call("GET", "/no-content")
        self.assertEqual((status, body), (204, b""))
        self.assertNotIn("content-length", headers)

    def test_handler_content_type_kept(self):
        status, headers, body = self.call("GET", "/typed")
        self.assertEqual((status, headers["content-type"], body), (200, "text/html", b"<p>hi</p>"))

    def test_json_body_in_and_out(self):
        status, headers, body = self.call("POST", "/json", body=b'{"n": [1, 2]}',
                                          headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body), {"got": {"n": [1, 2]}})
        status, headers, body = self.call("GET", "/list")
        self.assertEqual((status, json.loads(body)), (200, [1, "two", None]))

    def test_bytes_and_none(self):
        status, headers, body = self.call("GET", "/bytes")
        self.assertEqual((status, body), (200, b"\x00\x01\xff"))
        self.assertEqual(headers["content-type"], "application/octet-stream")
        status, _, body = self.call("GET", "/none")
        self.assertEqual((status, body), (200, b""))

    def test_exception_is_500_with_the_error_and_a_traceback(self):
        status, _, body = self.call("POST", "/boom", body=b"x")
        self.assertEqual(status, 500)
        self.assertIn(b"boom went the handler", body)
        deadline = time.monotonic() + 10
        while "Traceback" not in self.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("Traceback", self.output())
        self.assertIn("ValueError: boom went the handler", self.output())
        status, _, body = self.call("GET", "/bad-status")
        self.assertEqual(status, 500)

    def test_chunked_body_and_keep_alive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            status, _, body = self.call("POST", "/chunks", body=iter([b"ab", b"cd", b"ef"]),
                                        conn=conn, encode_chunked=True)
            self.assertEqual((status, body), (200, b"POST /chunks abcdef"))
            status, _, body = self.call("POST", "/again", body=b"same connection", conn=conn)
            self.assertEqual((status, body), (200, b"POST /again same connection"))
        finally:
            conn.close()

    def test_head_has_no_body(self):
        status, headers, body = self.call("HEAD", "/x")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["content-length"], str(len(b"HEAD /x ")))

    def test_large_body(self):
        big = b"z" * (3 << 20)
        status, _, body = self.call("POST", "/big", body=big)
        self.assertEqual(status, 200)
        self.assertEqual(len(body), len(b"POST /big ") + len(big))


if __name__ == "__main__":
    if not TEMPLATE:
        sys.exit("usage: python3_http_test.py TEMPLATE_DIR")
    unittest.main(verbosity=2)

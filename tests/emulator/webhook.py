"""A small test webhook receiver (the "app backend") for the emulator's callbacks.

    python -m tests.emulator.webhook --port 0 [--token T] [--refuse NAME=CODE ...] [--delay-s S]

Prints its URL on one stdout line.  Answers ``Group.CallbackBeforeCreateTopic``: when the body's
``Name`` (the topic name, per callback-before-create-topic.md) is listed with --refuse, replies with
that ErrorCode (1 = generic refusal; 10100-10200 = custom, ErrorInfo "name NAME is reserved"),
else 0.  Every other callback gets ErrorCode 0.  --delay-s sleeps before answering.

``GET /_received`` -> {"received": [{"path", "query", "body", "sign_ok", "time"}]}
``POST /_config`` {"refuse": {"NAME": CODE}, "delay_s": S, "token": T} -> effective config
``POST /_clear`` empties the received list.
"""

import argparse
import hashlib
import hmac
import json
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookState(object):
    def __init__(self, token=None, refuse=None, delay_s=0.0):
        self.lock = threading.Lock()
        self.token = token
        self.refuse = dict(refuse or {})
        self.delay_s = float(delay_s or 0)
        self.received = []

    def config(self):
        with self.lock:
            return {"token_set": bool(self.token), "refuse": dict(self.refuse), "delay_s": self.delay_s}


class WebhookHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "tim-webhook-receiver/1.0"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _send(self, status, obj):
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        st = self.server.hook
        self._body()
        if urllib.parse.urlsplit(self.path).path == "/_received":
            with st.lock:
                return self._send(200, {"received": list(st.received)})
        if urllib.parse.urlsplit(self.path).path == "/_config":
            return self._send(200, st.config())
        self._send(404, {"error": "not found"})

    def do_POST(self):
        st = self.server.hook
        raw = self._body()
        split = urllib.parse.urlsplit(self.path)
        if split.path == "/_config":
            try:
                cfg = json.loads(raw.decode("utf-8") or "{}")
                with st.lock:
                    if "refuse" in cfg:
                        st.refuse = dict((str(k), int(v)) for k, v in (cfg["refuse"] or {}).items())
                    if "delay_s" in cfg:
                        st.delay_s = float(cfg["delay_s"] or 0)
                    if "token" in cfg:
                        st.token = cfg["token"] or None
            except (ValueError, TypeError, AttributeError) as exc:
                return self._send(400, {"error": str(exc)})
            return self._send(200, st.config())
        if split.path == "/_clear":
            with st.lock:
                st.received = []
            return self._send(200, {"ok": True})

        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeError):
            body = None
        with st.lock:
            token, delay, refuse = st.token, st.delay_s, dict(st.refuse)
        sign_ok = None
        if token:
            expected = hashlib.sha256((token + query.get("RequestTime", "")).encode("utf-8")).hexdigest()
            sign_ok = "RequestTime" in query and hmac.compare_digest(expected, query.get("Sign", ""))
        with st.lock:
            st.received.append({"time": time.time(), "path": split.path, "query": query,
                                "body": body, "sign_ok": sign_ok})
        if delay > 0:
            time.sleep(delay)
        code, info = 0, ""
        command = (body or {}).get("CallbackCommand") if isinstance(body, dict) else None
        if command == "Group.CallbackBeforeCreateTopic" or (command or "").startswith("Group.CallbackBefore"):
            name = body.get("Name")
            if name in refuse:
                code = refuse[name]
                if 10100 <= code <= 10200:
                    info = "name %s is reserved" % name
        try:
            self._send(200, {"ActionStatus": "OK", "ErrorCode": code, "ErrorInfo": info})
        except OSError:
            pass  # the caller gave up (timeout)


class WebhookServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, hook):
        self.hook = hook
        ThreadingHTTPServer.__init__(self, address, WebhookHandler)


def _refuse(text):
    try:
        name, code = text.rsplit("=", 1)
        return name, int(code)
    except ValueError:
        raise argparse.ArgumentTypeError("expected NAME=CODE")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.emulator.webhook")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--token", default=None)
    p.add_argument("--refuse", type=_refuse, action="append", default=[], metavar="NAME=CODE")
    p.add_argument("--delay-s", type=float, default=0.0)
    args = p.parse_args(argv)
    hook = WebhookState(args.token, dict(args.refuse), args.delay_s)
    server = WebhookServer((args.host, args.port), hook)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda s, f: stop.set())
    signal.signal(signal.SIGINT, lambda s, f: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    host, port = server.server_address[:2]
    sys.stdout.write("http://%s:%d\n" % (host, port))
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

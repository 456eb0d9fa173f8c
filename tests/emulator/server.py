"""HTTP layer of the TIM REST API emulator: routing, UserSig check, rate limit, faults, admin
endpoints.  Standard library only (http.server.ThreadingHTTPServer)."""

import collections
import json
import random
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import callbacks as cb
from . import permissions as perm
from . import state as st
from . import usersig

# REST-common codes (rest-api-overview.md / error-codes.md)
HTTP_PARSE_ERROR = 60002      # bad URL / query (missing or invalid `random`)
JSON_PARSE_ERROR = 60003      # request body is not JSON
ACCOUNT_ERROR = 60004         # identifier missing
INVALID_SDKAPPID = 60006      # sdkappid not numeric
FREQUENCY_LIMIT = 60007       # RESTful API call frequency limit exceeded
RESOURCE_ERROR = 60009        # unknown service (request resource error)
ADMIN_REQUIRED = 60010        # identifier is not an app admin
SDKAPPID_REQUIRED = 60012

GROUP_SVC = "group_open_http_svc"
MILLION_SVC = "million_group_open_http_svc"
KNOWN_SERVICES = (GROUP_SVC, MILLION_SVC)
# (service, command) -> (handler name, is_write)
COMMANDS = {
    (GROUP_SVC, "create_group"): ("create_group", True),
    (GROUP_SVC, "destroy_group"): ("destroy_group", True),
    (GROUP_SVC, "import_topic"): ("import_topic", True),
    (MILLION_SVC, "import_topic"): ("import_topic", True),
    (MILLION_SVC, "create_topic"): ("create_topic", True),
    (MILLION_SVC, "get_topic"): ("get_topic", False),
    (MILLION_SVC, "modify_topic"): ("modify_topic", True),
    (MILLION_SVC, "destroy_topic"): ("destroy_topic", True),
}
COMMANDS.update(perm.COMMANDS)  # the eleven permission-group commands (permissions.py)

DEFAULT_CONFIG = {
    "latency_ms": 0.0,
    "latency_spike_ms": 0.0,
    "latency_spike_rate": 0.0,
    "error_rates": {},
    "http_502_rate": 0.0,
    "drop_rate": 0.0,
    "rate_limit": 200.0,
    "callback_url": None,
    "callback_token": None,
    "callback_timeout": 2.0,
    "seed": None,
}
_FLOAT_KEYS = ("latency_ms", "latency_spike_ms", "rate_limit", "callback_timeout")
_RATE_KEYS = ("latency_spike_rate", "http_502_rate", "drop_rate")

BAD_GATEWAY_HTML = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    b"</body>\r\n</html>\r\n")


class ConfigError(ValueError):
    pass


def redact_path(path):
    """Replace the usersig query value by REDACTED (it is a credential)."""
    parts = urllib.parse.urlsplit(path)
    if not parts.query:
        return path
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    pairs = [(k, "REDACTED" if k.lower() == "usersig" else v) for k, v in pairs]
    return urllib.parse.urlunsplit(("", "", parts.path, urllib.parse.urlencode(pairs, safe="@#*-_"), ""))


class RateLimiter(object):
    """Sliding one-second window per API command. Never sleeps."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = {}

    def allow(self, key, limit):
        if not limit or limit <= 0:
            return True
        now = time.monotonic()
        with self.lock:
            dq = self.windows.get(key)
            if dq is None:
                dq = self.windows[key] = collections.deque()
            while dq and dq[0] <= now - 1.0:
                dq.popleft()
            if len(dq) >= limit:
                return False
            dq.append(now)
            return True

    def reset(self):
        with self.lock:
            self.windows = {}


class Emulator(object):
    """Application object shared by all handler threads."""

    def __init__(self, sdkappid, secret_key, admins=("administrator",), state_file=None,
                 verbose=False, **config):
        self.sdkappid = int(sdkappid)
        self.secret_key = secret_key
        self.admins = tuple(admins) or ("administrator",)
        self.verbose = verbose
        self.state = st.State(state_file)
        self.config_lock = threading.Lock()
        self.config = dict(DEFAULT_CONFIG)
        self.config["error_rates"] = {}
        self.rng = random.Random()
        self.rng_lock = threading.Lock()
        self.update_config(config)
        self.limiter = RateLimiter()
        self.stats_lock = threading.Lock()
        self._reset_stats_unlocked()
        self.requests = collections.deque(maxlen=1000)
        self.callbacks = cb.CallbackClient(self.sdkappid, self.get_config)

    # config ------------------------------------------------------------------------------------
    def get_config(self):
        with self.config_lock:
            cfg = dict(self.config)
            cfg["error_rates"] = dict(self.config["error_rates"])
            return cfg

    def update_config(self, changes):
        new = self.get_config()
        for key, val in changes.items():
            if key not in DEFAULT_CONFIG:
                raise ConfigError("unknown config key %r" % key)
            if key in _FLOAT_KEYS:
                if val is None:
                    val = DEFAULT_CONFIG[key]
                try:
                    val = float(val)
                except (TypeError, ValueError):
                    raise ConfigError("%s must be a number" % key)
                if val < 0:
                    raise ConfigError("%s must be >= 0" % key)
            elif key in _RATE_KEYS:
                try:
                    val = float(val or 0)
                except (TypeError, ValueError):
                    raise ConfigError("%s must be a number" % key)
                if not 0 <= val <= 1:
                    raise ConfigError("%s must be within [0, 1]" % key)
            elif key == "error_rates":
                if val is None:
                    val = {}
                if not isinstance(val, dict):
                    raise ConfigError("error_rates must be an object {code: rate}")
                rates = {}
                for code, rate in val.items():
                    try:
                        code_i, rate_f = int(code), float(rate)
                    except (TypeError, ValueError):
                        raise ConfigError("error_rates entries are code: rate")
                    if not 0 <= rate_f <= 1:
                        raise ConfigError("error rate for %s must be within [0, 1]" % code)
                    if rate_f > 0:
                        rates[str(code_i)] = rate_f
                val = rates
            elif key in ("callback_url", "callback_token"):
                if val is not None and not isinstance(val, str):
                    raise ConfigError("%s must be a string or null" % key)
                val = val or None
            elif key == "seed":
                if val is not None:
                    try:
                        val = int(val)
                    except (TypeError, ValueError):
                        raise ConfigError("seed must be an integer")
            new[key] = val
        with self.config_lock:
            self.config = new
        if "seed" in changes:
            with self.rng_lock:
                self.rng.seed(new["seed"])
        return self.get_config()

    def draw(self, rate):
        if rate <= 0:
            return False
        with self.rng_lock:
            return self.rng.random() < rate

    # stats -------------------------------------------------------------------------------------
    def _reset_stats_unlocked(self):
        self.calls = {}
        self.writes = {}
        self.faults = {"error": 0, "http_502": 0, "drop": 0, "throttled": 0}

    def reset_stats(self):
        with self.stats_lock:
            self._reset_stats_unlocked()
            self.requests.clear()
        self.limiter.reset()

    def count(self, table, key, n=1):
        with self.stats_lock:
            if table == "faults":
                self.faults[key] = self.faults.get(key, 0) + n
            else:
                tbl = self.calls if table == "calls" else self.writes
                tbl[key] = tbl.get(key, 0) + n

    def stats(self):
        with self.stats_lock:
            return {"calls": dict(self.calls), "writes": dict(self.writes), "faults": dict(self.faults)}

    def log_request(self, entry):
        with self.stats_lock:
            self.requests.append(entry)
        if self.verbose:
            sys.stderr.write("%s %s -> HTTP %s ErrorCode %s%s (%.1f ms)\n" % (
                entry["method"], entry["path"], entry["http_status"], entry["error_code"],
                " [%s]" % entry["fault"] if entry.get("fault") else "", entry["duration_ms"]))
            sys.stderr.flush()

    def reset(self):
        self.state.reset()
        self.callbacks.flush(2.0)
        self.callbacks.clear()
        self.reset_stats()

    # authentication ----------------------------------------------------------------------------
    def authenticate(self, query):
        """Raise st.ApiError on failure; return the identifier."""
        sdkappid = query.get("sdkappid", "")
        if sdkappid == "":
            raise st.ApiError(SDKAPPID_REQUIRED, "sdkappid is required in the URL")
        if not sdkappid.isdigit():
            raise st.ApiError(INVALID_SDKAPPID, "invalid sdkappid %r" % sdkappid)
        identifier = query.get("identifier", "")
        if identifier == "":
            raise st.ApiError(ACCOUNT_ERROR, "identifier is required in the URL")
        sig = query.get("usersig", "")
        if sig == "":
            raise st.ApiError(usersig.SIG_EMPTY, "usersig is empty")
        rnd = query.get("random", "")
        if not rnd.isdigit() or int(rnd) > 0xFFFFFFFF:
            raise st.ApiError(HTTP_PARSE_ERROR, "random must be an unsigned 32-bit integer")
        usersig.verify_usersig(sig, identifier, sdkappid, self.sdkappid, self.secret_key)  # raises an ApiError
        if identifier not in self.admins:
            raise st.ApiError(ADMIN_REQUIRED, "identifier %s is not an app admin" % identifier)
        return identifier

    # API commands ------------------------------------------------------------------------------
    def run_command(self, name, body, identifier, client_ip):
        """Return (response_fields, committed_write: bool)."""
        s = self.state
        if name == "create_group":
            resp = s.create_group(body)[0]
            return resp, True
        if name == "destroy_group":
            resp = s.destroy_group(body)[0]
            return resp, True
        if name == "get_topic":
            return s.get_topic(body)[0], False
        if name == "import_topic":
            rec = s.commit_topic(s.prepare_topic(body, is_import=True))
            return {"TopicId": rec["TopicId"]}, True
        if name == "create_topic":
            prepared = s.prepare_topic(body)
            operator = prepared["From_Account"] or identifier
            refusal = self.callbacks.before_create_topic(operator, prepared["TopicName"], client_ip)
            if refusal is not None:
                raise st.ApiError(refusal[0], refusal[1])
            rec = s.commit_topic(prepared)
            self.callbacks.after(cb.AFTER_CREATE_TOPIC, {
                "GroupId": rec["GroupID"], "TopicId": rec["TopicId"], "Operator_Account": operator,
                "Owner_Account": prepared.get("_Owner_Account", ""), "Type": "Community",
                "Name": rec["TopicName"]}, client_ip)
            return {"TopicId": rec["TopicId"]}, True
        if name == "modify_topic":
            resp, changed = s.modify_topic(body)
            if changed:
                payload = {"GroupId": body["GroupId"], "TopicId": body["TopicId"], "Type": "Community",
                           "Operator_Account": str(body.get("From_Account") or identifier)}
                for key, val in changed.items():
                    payload["Name" if key == "TopicName" else key] = val
                self.callbacks.after(cb.AFTER_TOPIC_INFO_CHANGED, payload, client_ip)
            return resp, bool(changed)
        if name == "destroy_topic":
            resp, destroyed = s.destroy_topic(body)
            if destroyed:
                self.callbacks.after(cb.AFTER_TOPIC_DESTROYED, {
                    "GroupId": body["GroupId"], "Type": "Community", "TopicIdList": destroyed}, client_ip)
            return resp, bool(destroyed)
        if (GROUP_SVC, name) in perm.COMMANDS:
            return s.permissions.run(name, body)
        raise st.ApiError(st.INVALID_COMMAND, "invalid command %s" % name)


def envelope(code=0, info="", **fields):
    out = {"ActionStatus": "OK" if code == 0 else "FAIL", "ErrorCode": code, "ErrorInfo": info}
    out.update(fields)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "tim-emulator/1.0"
    timeout = 300  # idle keep-alive connections

    def log_message(self, format, *args):  # noqa: A002 - silence default logging (it prints usersig)
        pass

    @property
    def app(self):
        return self.server.app

    # low-level I/O -----------------------------------------------------------------------------
    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, payload, content_type="application/json; charset=utf-8"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _drop(self):
        """Close the connection without any response."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass

    # routing -----------------------------------------------------------------------------------
    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_emulator/"):
            self._read_body()
            return self._admin("GET", path)
        if path.startswith("/v4/"):
            self._read_body()
            return self._send(405, envelope(HTTP_PARSE_ERROR, "RESTful APIs only support POST"))
        self._read_body()
        self._send(404, {"error": "not found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_emulator/"):
            return self._admin("POST", path, self._read_body())
        if path.startswith("/v4/"):
            return self._api()
        self._read_body()
        self._send(404, {"error": "not found"})

    # admin -------------------------------------------------------------------------------------
    def _admin(self, method, path, raw=b""):
        app = self.app
        name = path[len("/_emulator/"):].strip("/")
        if method == "GET" and name == "stats":
            return self._send(200, app.stats())
        if method == "GET" and name == "state":
            return self._send(200, app.state.to_json())
        if method == "GET" and name == "config":
            return self._send(200, app.get_config())
        if method == "GET" and name == "callbacks":
            return self._send(200, {"callbacks": app.callbacks.entries()})
        if method == "GET" and name == "requests":
            with app.stats_lock:
                entries = list(app.requests)
            return self._send(200, {"requests": entries})
        if method == "GET" and name == "health":
            return self._send(200, {"ok": True, "sdkappid": app.sdkappid})
        if method == "POST" and name == "reset_stats":
            app.reset_stats()
            return self._send(200, {"ok": True})
        if method == "POST" and name == "reset":
            app.reset()
            return self._send(200, {"ok": True})
        if method == "POST" and name == "flush_callbacks":
            return self._send(200, {"ok": app.callbacks.flush(10.0)})
        if method == "POST" and name == "config":
            try:
                changes = json.loads(raw.decode("utf-8") or "{}")
                if not isinstance(changes, dict):
                    raise ConfigError("body must be a JSON object")
                return self._send(200, app.update_config(changes))
            except (ValueError, UnicodeError) as exc:
                return self._send(400, {"error": str(exc)})
        return self._send(404, {"error": "unknown admin endpoint %s %s" % (method, path)})

    # API ---------------------------------------------------------------------------------------
    def _api(self):
        app = self.app
        t0 = time.monotonic()
        raw = self._read_body()
        split = urllib.parse.urlsplit(self.path)
        parts = split.path.strip("/").split("/")
        service, command = (parts[1], parts[2]) if len(parts) == 3 else ("", "/".join(parts[1:]))
        key = "%s/%s" % (service, command)
        entry = {"time": time.time(), "method": "POST", "path": redact_path(self.path),
                 "service": service, "command": command, "error_code": None, "http_status": None,
                 "fault": None}
        app.count("calls", key)
        cfg = app.get_config()

        def finish(status, payload=None, fault=None, code=None):
            entry["http_status"] = status
            entry["fault"] = fault
            entry["error_code"] = code
            entry["duration_ms"] = round((time.monotonic() - t0) * 1000.0, 3)
            app.log_request(entry)

        # latency (never under a lock)
        delay = cfg["latency_ms"]
        if cfg["latency_spike_ms"] > 0 and app.draw(cfg["latency_spike_rate"]):
            delay += cfg["latency_spike_ms"]
        if delay > 0:
            time.sleep(delay / 1000.0)

        if app.draw(cfg["http_502_rate"]):
            app.count("faults", "http_502")
            self._send(502, BAD_GATEWAY_HTML, "text/html")
            return finish(502, fault="http_502")

        def reply(code, info="", fault=None, **fields):
            self._send(200, envelope(code, info, **fields))
            finish(200, fault=fault, code=code)

        spec = COMMANDS.get((service, command))
        if spec is None:
            if service in KNOWN_SERVICES:
                return reply(st.INVALID_COMMAND, "invalid command word: %s" % key)
            return reply(RESOURCE_ERROR, "request resource error: unknown service %r" % service)
        name, is_write = spec

        if not app.limiter.allow(key, cfg["rate_limit"]):
            app.count("faults", "throttled")
            return reply(FREQUENCY_LIMIT, "RESTful API call frequency limit exceeded (%s/s for %s)"
                         % (cfg["rate_limit"], key), fault="throttled")

        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        try:
            identifier = app.authenticate(query)
            entry["identifier"] = identifier
            if not raw.strip():
                raise st.ApiError(st.INVALID_PARAM, "request body must not be empty (send {} at least)")
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeError):
                raise st.ApiError(JSON_PARSE_ERROR, "request body is not valid JSON")
            if not isinstance(body, dict):
                raise st.ApiError(st.INVALID_PARAM, "request body must be a JSON object")
            for code, rate in sorted(cfg["error_rates"].items()):
                if app.draw(rate):
                    app.count("faults", "error")
                    return reply(int(code), "injected fault %s" % code, fault="error")
            fields, committed = app.run_command(name, body, identifier, self.client_address[0])
        except st.ApiError as exc:
            return reply(exc.code, exc.info)
        except Exception as exc:  # pragma: no cover - a bug in the emulator
            sys.stderr.write("emulator internal error on %s: %r\n" % (key, exc))
            return reply(st.INTERNAL, "internal server error: %s" % type(exc).__name__)

        if committed and is_write:
            app.count("writes", key)
        if is_write and app.draw(cfg["drop_rate"]):
            app.count("faults", "drop")
            self._drop()
            return finish(None, fault="drop", code=0)
        info = fields.pop("ErrorInfo", "")
        return reply(0, info, **fields)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        ThreadingHTTPServer.__init__(self, address, Handler)

    def finish_request(self, request, client_address):
        # Runs in the per-connection thread: the TLS handshake happens here, not in the accept loop.
        if self.ssl_context is None:
            return ThreadingHTTPServer.finish_request(self, request, client_address)
        try:
            request.settimeout(30)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def make_server(host, port, app, tls_cert=None, tls_key=None):
    ctx = None
    if tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
    if ":" in host:
        EmulatorHTTPServer.address_family = socket.AF_INET6
    server = EmulatorHTTPServer((host, port), app, ctx)
    scheme = "https" if ctx else "http"
    bound_host, bound_port = server.server_address[:2]
    if ":" in bound_host:
        bound_host = "[%s]" % bound_host
    return server, "%s://%s:%d" % (scheme, bound_host, bound_port)

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

from . import accounts, groups, permissions, topics
from . import callbacks as cb
from . import state as st
from . import usersig
from .api import Request, strict_problem

# REST-common codes (rest-api-overview.md / error-codes.md)
HTTP_PARSE_ERROR = 60002      # bad URL / query (missing or invalid `random`)
JSON_PARSE_ERROR = 60003      # request body is not JSON
ACCOUNT_ERROR = 60004         # identifier missing
INVALID_SDKAPPID = 60006      # sdkappid not numeric
# 60007 (frequency limit) and 10004 (invalid parameter) are in api.py: each command names its own
RESOURCE_ERROR = 60009        # unknown service (request resource error)
ADMIN_REQUIRED = 60010        # identifier is not an app admin
SDKAPPID_REQUIRED = 60012

# (service, command) -> api.Command.  Each command module exports its own table; a new module is
# one more entry in this tuple.
COMMAND_TABLES = (topics.COMMANDS, groups.COMMANDS, accounts.COMMANDS, permissions.COMMANDS)
COMMANDS = {}
for _table in COMMAND_TABLES:
    COMMANDS.update(_table)
KNOWN_SERVICES = frozenset(service for service, _command in COMMANDS)

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
    # {"svc/cmd": calls/s} over the page's own limit of that command (and over rate_limit)
    "command_rate_limits": {},
    "strict": False,
    "require_accounts": False,
    "app_defined_keys": [],
    "app_member_defined_keys": [],
}
# group-system.md "Custom Fields": up to 10 group-level and 5 member-level keys; a key is letters,
# digits and underscores, "less than 16 bytes".
MAX_DECLARED_KEYS = {"app_defined_keys": 10, "app_member_defined_keys": 5}
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
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
        self.config["command_rate_limits"] = {}
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
            for key in ("error_rates", "command_rate_limits"):
                cfg[key] = dict(self.config[key])
            for key in MAX_DECLARED_KEYS:
                cfg[key] = list(self.config[key])
            return cfg

    def update_config(self, changes):
        new = self.get_config()
        for key, val in changes.items():
            if key not in DEFAULT_CONFIG:
                raise ConfigError("unknown config key %r" % key)
            if key in _FLOAT_KEYS:
                val = _number(DEFAULT_CONFIG[key] if val is None else val, key)
            elif key in _RATE_KEYS:
                val = _number(val or 0, key, at_most=1)
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
            elif key == "command_rate_limits":
                val = _command_rate_limits(val)
            elif key in ("strict", "require_accounts"):
                if not isinstance(val, bool):
                    raise ConfigError("%s must be true or false" % key)
            elif key in MAX_DECLARED_KEYS:
                val = _declared_keys(key, val)
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
        self.strict_refusals = {}

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
                tbl = {"calls": self.calls, "writes": self.writes, "strict_refusals": self.strict_refusals}[table]
                tbl[key] = tbl.get(key, 0) + n

    def stats(self):
        with self.stats_lock:
            return {"calls": dict(self.calls), "writes": dict(self.writes), "faults": dict(self.faults),
                    "strict_refusals": dict(self.strict_refusals)}

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
        if not _ascii_digits(sdkappid):
            raise st.ApiError(INVALID_SDKAPPID, "invalid sdkappid %r" % sdkappid)
        identifier = query.get("identifier", "")
        if identifier == "":
            raise st.ApiError(ACCOUNT_ERROR, "identifier is required in the URL")
        sig = query.get("usersig", "")
        if sig == "":
            raise st.ApiError(usersig.SIG_EMPTY, "usersig is empty")
        rnd = query.get("random", "")
        if not _ascii_digits(rnd) or int(rnd) > 0xFFFFFFFF:
            raise st.ApiError(HTTP_PARSE_ERROR, "random must be an unsigned 32-bit integer")
        usersig.verify_usersig(sig, identifier, sdkappid, self.sdkappid, self.secret_key)  # raises an ApiError
        if identifier not in self.admins:
            raise st.ApiError(ADMIN_REQUIRED, "identifier %s is not an app admin" % identifier)
        return identifier

    def rate_limit_for(self, key, spec, cfg):
        """calls/s for the command ``key`` ("svc/cmd"): a configured override, else the page's own
        limit of that command, else the emulator-wide rate_limit. 0 = off."""
        if key in cfg["command_rate_limits"]:
            return cfg["command_rate_limits"][key]
        if spec.rate_limit is not None:
            return spec.rate_limit
        return cfg["rate_limit"]

    # API commands ------------------------------------------------------------------------------
    def run_command(self, spec, body, identifier, client_ip, cfg):
        """Return (response_fields, committed_write: bool)."""
        if cfg["strict"]:
            problem = strict_problem(spec.fields, body)
            if problem:
                raise StrictRefusal(spec.invalid_code, "%s: %s (strict mode: only the fields the API page "
                                                       "documents, never null)" % (problem[1], problem[0]))
        return spec.handler(self, body, Request(identifier, client_ip, cfg))


class StrictRefusal(st.ApiError):
    """A request refused by --strict (counted in stats "strict_refusals")."""


def _number(value, label, at_most=None):
    """``value`` as a float of at least 0 (and at most ``at_most``), else a ConfigError naming ``label``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError("%s must be a number" % label)
    if (number < 0) if at_most is None else not 0 <= number <= at_most:
        raise ConfigError("%s must be %s" % (label, ">= 0" if at_most is None else "within [0, %g]" % at_most))
    return number


def _command_rate_limits(val):
    if val is None:
        return {}
    if not isinstance(val, dict):
        raise ConfigError("command_rate_limits must be an object {\"svc/cmd\": calls_per_second}")
    out = {}
    for key, limit in val.items():
        service, _sep, name = str(key).partition("/")
        if (service, name) not in COMMANDS:
            raise ConfigError("command_rate_limits: unknown command %r (use service/command)" % key)
        out[key] = _number(limit, "command_rate_limits: %s" % key)
    return out


def _declared_keys(name, val):
    if val is None:
        return []
    if not isinstance(val, (list, tuple)) or not all(isinstance(k, str) for k in val):
        raise ConfigError("%s must be a list of key names" % name)
    for key in val:
        if not key or not set(key) <= _KEY_CHARS or len(key.encode("utf-8")) >= 16:
            raise ConfigError("%s: %r is not a custom field key (letters, digits, underscores, less than 16 bytes)"
                              % (name, key))
    if len(set(val)) > MAX_DECLARED_KEYS[name]:
        raise ConfigError("%s: at most %d keys" % (name, MAX_DECLARED_KEYS[name]))
    return list(dict.fromkeys(val))


def _ascii_digits(text):
    """str.isdigit() also accepts non-ASCII digits ("\uff11\uff12\uff13"): the URL wants 0-9 only."""
    return text != "" and all("0" <= c <= "9" for c in text)


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

    def _send(self, status, payload, content_type="application/json; charset=utf-8", extra_headers=None):
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
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
        return self._not_post()

    def _not_post(self):
        """Any method but POST (GET, PUT, DELETE, PATCH, HEAD, OPTIONS, unknown ones): the API paths
        answer the JSON envelope (RESTful APIs only support POST), never http.server's HTML page."""
        path = urllib.parse.urlsplit(self.path).path
        self._read_body()
        if path.startswith("/v4/"):
            return self._send(405, envelope(HTTP_PARSE_ERROR, "RESTful APIs only support POST"),
                              extra_headers={"Allow": "POST"})
        return self._send(404, {"error": "not found"})

    def __getattr__(self, name):
        # http.server looks up do_<METHOD> and answers an HTML 501 when it is missing.
        if name.startswith("do_") and name != "do_POST":
            return self._not_post
        raise AttributeError(name)

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
        is_write = spec.write

        limit = app.rate_limit_for(key, spec, cfg)
        if not app.limiter.allow(key, limit):
            app.count("faults", "throttled")
            return reply(spec.throttle_code, "API call frequency limit exceeded (%s/s for %s)" % (limit, key),
                         fault="throttled")

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
            fields, committed = app.run_command(spec, body, identifier, self.client_address[0], cfg)
        except st.ApiError as exc:
            if isinstance(exc, StrictRefusal):
                app.count("strict_refusals", key)
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

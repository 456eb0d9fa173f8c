"""Start/stop helpers for the emulator and the webhook receiver (pytest fixtures, Makefile demo,
benchmark).  urllib only.

    from tests.emulator.launcher import start_emulator
    with start_emulator(secret_key="k", latency_ms=50) as emu:
        print(emu.url, emu.stats())
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT = 15.0


def _cli_args(options):
    """Turn keyword options into CLI flags: latency_ms=50 -> --latency-ms 50; lists repeat the
    flag; True -> bare flag; None/False -> omitted; error_rate may be {code: rate};
    command_rate_limit may be {"svc/cmd": n}; app_defined_key=["a", "b"] -> --app-defined-key a ..."""
    args = []
    for key, val in options.items():
        flag = "--" + key.replace("_", "-")
        if val is None or val is False:
            continue
        if val is True:
            args.append(flag)
        elif key in ("error_rate", "error_rates") and isinstance(val, dict):
            for code, rate in val.items():
                args += ["--error-rate", "%s:%s" % (code, rate)]
        elif key == "refuse" and isinstance(val, dict):
            for name, code in val.items():
                args += ["--refuse", "%s=%s" % (name, code)]
        elif key in ("command_rate_limit", "command_rate_limits") and isinstance(val, dict):
            for command, limit in val.items():
                args += ["--command-rate-limit", "%s=%s" % (command, limit)]
        elif isinstance(val, (list, tuple)):
            for item in val:
                args += [flag, str(item)]
        else:
            args += [flag, str(val)]
    return args


def _read_url_line(proc, timeout):
    box = {}

    def reader():
        box["line"] = proc.stdout.readline()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    line = box.get("line")
    if not line:
        return None
    return line.decode("utf-8").strip()


def _http(method, url, payload=None, timeout=30.0):
    data = None
    headers = {}
    if payload is not None:
        data = json.dumps(payload).encode("utf-8")
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode("utf-8"))


class _Process(object):
    module = None
    fixed_args = ()

    def __init__(self, cli_args, env=None):
        self._cli_args = list(cli_args)
        self._env = env
        self.proc = None
        self.url = None
        self.port = None
        fd, self.log_path = tempfile.mkstemp(prefix="tim-%s-" % self.module.rsplit(".", 1)[-1],
                                             suffix=".log")
        os.close(fd)
        self._start(self._cli_args + ["--port", "0"])

    def _start(self, args):
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        env["PYTHONUNBUFFERED"] = "1"
        if self._env:
            env.update(self._env)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", self.module] + args, cwd=REPO_ROOT,
                                     stdout=subprocess.PIPE, stderr=self._log, env=env)
        url = _read_url_line(self.proc, START_TIMEOUT)
        if not url:
            self._kill()
            with open(self.log_path, "rb") as fh:
                log = fh.read().decode("utf-8", "replace")
            raise RuntimeError("%s did not start within %.0f s; log:\n%s" % (self.module, START_TIMEOUT, log))
        self.url = url
        self.port = urllib.parse.urlsplit(url).port

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()

    def stop(self, timeout=10.0):
        """SIGTERM and wait; SIGKILL if it does not exit. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        rc = self.proc.returncode
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()
        return rc

    def restart(self):
        """Stop and start again on the same port with the same arguments."""
        port = self.port
        self.stop()
        self._start(self._cli_args + ["--port", str(port)])
        return self

    def log(self):
        with open(self.log_path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def _get(self, path):
        return _http("GET", self.url + path)

    def _post(self, path, payload=None):
        return _http("POST", self.url + path, payload if payload is not None else {})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class EmulatorProcess(_Process):
    module = "tests.emulator"

    def __init__(self, sdkappid, secret_key, cli_args, env=None):
        self.sdkappid = int(sdkappid)
        self.secret_key = secret_key
        _Process.__init__(self, ["--host", "127.0.0.1", "--sdkappid", str(sdkappid),
                                 "--secret-key", secret_key] + list(cli_args), env)

    def stats(self):
        return self._get("/_emulator/stats")

    def reset(self):
        return self._post("/_emulator/reset")

    def reset_stats(self):
        return self._post("/_emulator/reset_stats")

    def state(self):
        return self._get("/_emulator/state")

    def config(self):
        return self._get("/_emulator/config")

    def configure(self, **kw):
        return self._post("/_emulator/config", kw)

    def callbacks(self, flush=True):
        if flush:
            self._post("/_emulator/flush_callbacks")
        return self._get("/_emulator/callbacks")["callbacks"]

    def requests(self):
        return self._get("/_emulator/requests")["requests"]


class WebhookProcess(_Process):
    module = "tests.emulator.webhook"

    def received(self):
        return self._get("/_received")["received"]

    def configure(self, **kw):
        return self._post("/_config", kw)

    def clear(self):
        return self._post("/_clear")


def start_emulator(sdkappid=1400000000, secret_key="emulator-secret-key", env=None, **cli_options):
    """Run ``python -m tests.emulator`` on 127.0.0.1 and a free port.  ``cli_options`` map to CLI
    flags (``latency_ms=50``, ``admin=["a", "b"]``, ``error_rate={"10002": 0.3}``, ``tls_cert=...``,
    ``verbose=True``, ``strict=True``, ``require_accounts=True``, ``app_defined_key=["Level"]``,
    ``command_rate_limit={"group_open_http_svc/get_appid_group_list": 50}``)."""
    cli_options.pop("port", None)
    cli_options.pop("host", None)
    return EmulatorProcess(sdkappid, secret_key, _cli_args(cli_options), env)


def start_webhook(token=None, refuse=None, delay_s=None, env=None):
    """Run ``python -m tests.emulator.webhook`` on 127.0.0.1 and a free port."""
    options = {"token": token, "refuse": refuse, "delay_s": delay_s}
    return WebhookProcess(["--host", "127.0.0.1"] + _cli_args(options), env)

"""Webhook client of the emulator (seed 004, reference/callback-*.md, SPEC §4).

Before-callback (``Group.CallbackBeforeCreateTopic``) is synchronous; after-callbacks are queued and
sent by one background thread, their replies ignored.  Every callback is recorded for
``GET /_emulator/callbacks``.
"""

import collections
import hashlib
import json
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BEFORE_CREATE_TOPIC = "Group.CallbackBeforeCreateTopic"
AFTER_CREATE_TOPIC = "Group.CallbackAfterCreateTopic"
AFTER_TOPIC_DESTROYED = "Group.CallbackAfterTopicDestroyed"
AFTER_TOPIC_INFO_CHANGED = "Group.CallbackAfterTopicInfoChanged"

REFUSED = 10016


def sign(token, request_time):
    """Sign = sha256_hex(Token + RequestTime) (callback-overview.md, "Webhook authentication")."""
    return hashlib.sha256((token + str(request_time)).encode("utf-8")).hexdigest()


class CallbackClient(object):
    def __init__(self, sdkappid, get_config, log_size=1000):
        """``get_config()`` returns a dict with callback_url, callback_token, callback_timeout."""
        self.sdkappid = sdkappid
        self.get_config = get_config
        self.log = collections.deque(maxlen=log_size)
        self.log_lock = threading.Lock()
        self.queue = queue.Queue()
        self.pending = 0
        self.pending_cv = threading.Condition()
        self.worker = threading.Thread(target=self._run, name="emulator-callbacks", daemon=True)
        self.worker.start()

    # helpers ---------------------------------------------------------------------------------
    def _url(self, base, command, client_ip, token):
        params = [("SdkAppid", str(self.sdkappid)), ("CallbackCommand", command),
                  ("contenttype", "json"), ("ClientIP", client_ip or "127.0.0.1"),
                  ("OptPlatform", "RESTAPI")]
        if token:
            now = int(time.time())
            params += [("Sign", sign(token, now)), ("RequestTime", str(now))]
        sep = "&" if "?" in base else "?"
        return base + sep + urllib.parse.urlencode(params)

    def _post(self, url, body, timeout):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = resp.status
            raw = resp.read()
        return status, raw

    def _record(self, command, url, body, outcome, reply=None):
        entry = {"time": time.time(), "command": command, "url": url, "body": body,
                 "outcome": outcome, "reply": reply}
        with self.log_lock:
            self.log.append(entry)

    def entries(self):
        with self.log_lock:
            return list(self.log)

    def clear(self):
        with self.log_lock:
            self.log.clear()

    # before-callback -------------------------------------------------------------------------
    def before_create_topic(self, operator, name, client_ip):
        """Return None to allow, or (code, info) to refuse."""
        cfg = self.get_config()
        base = cfg.get("callback_url")
        if not base:
            return None
        body = {"CallbackCommand": BEFORE_CREATE_TOPIC, "Operator_Account": operator,
                "Type": "Community", "Name": name}
        url = self._url(base, BEFORE_CREATE_TOPIC, client_ip, cfg.get("callback_token"))
        try:
            status, raw = self._post(url, body, float(cfg.get("callback_timeout") or 2.0))
        except (socket.timeout, TimeoutError):
            self._record(BEFORE_CREATE_TOPIC, url, body, "timeout:allowed")
            return None
        except urllib.error.HTTPError as exc:
            self._record(BEFORE_CREATE_TOPIC, url, body, "http_%d:allowed" % exc.code)
            return None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            kind = "timeout" if isinstance(reason, (socket.timeout, TimeoutError)) else "error"
            self._record(BEFORE_CREATE_TOPIC, url, body, "%s:allowed" % kind)
            return None
        try:
            reply = json.loads(raw.decode("utf-8"))
            code = reply["ErrorCode"]
            if isinstance(code, bool) or not isinstance(code, int):
                raise ValueError("ErrorCode not an integer")
        except (ValueError, KeyError, TypeError, UnicodeError):
            self._record(BEFORE_CREATE_TOPIC, url, body, "bad_reply:allowed", raw.decode("utf-8", "replace"))
            return None
        if status != 200:
            self._record(BEFORE_CREATE_TOPIC, url, body, "http_%d:allowed" % status, reply)
            return None
        if code == 0:
            self._record(BEFORE_CREATE_TOPIC, url, body, "allowed", reply)
            return None
        if 10100 <= code <= 10200:
            info = reply.get("ErrorInfo") or ""
            self._record(BEFORE_CREATE_TOPIC, url, body, "refused:%d" % code, reply)
            return code, str(info)
        # 1 (documented refusal) and any other non-zero code: generic refusal.
        self._record(BEFORE_CREATE_TOPIC, url, body, "refused:%d" % REFUSED, reply)
        return REFUSED, "the app's webhook (%s) refused the topic creation" % BEFORE_CREATE_TOPIC

    # after-callbacks -------------------------------------------------------------------------
    def after(self, command, body, client_ip):
        cfg = self.get_config()
        if not cfg.get("callback_url"):
            return
        with self.pending_cv:
            self.pending += 1
        self.queue.put((command, dict(body, CallbackCommand=command), client_ip, dict(cfg)))

    def _run(self):
        while True:
            item = self.queue.get()
            if item is None:
                return
            command, body, client_ip, cfg = item
            url = self._url(cfg["callback_url"], command, client_ip, cfg.get("callback_token"))
            try:
                status, _raw = self._post(url, body, float(cfg.get("callback_timeout") or 2.0))
                self._record(command, url, body, "sent:http_%d" % status)
            except Exception as exc:  # replies (and failures) of after-callbacks are ignored
                self._record(command, url, body, "failed:%s" % type(exc).__name__)
            finally:
                with self.pending_cv:
                    self.pending -= 1
                    self.pending_cv.notify_all()

    def flush(self, timeout=5.0):
        """Wait until queued after-callbacks have been attempted."""
        deadline = time.time() + timeout
        with self.pending_cv:
            while self.pending > 0:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.pending_cv.wait(left)
        return True

    def stop(self):
        self.queue.put(None)

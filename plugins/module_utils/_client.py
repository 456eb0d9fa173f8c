# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns talking to the Chat REST API: HTTP session, UserSig, envelope, retries, per-API rate limits, redaction.

Reads and writes have separate entry points, and the write path refuses to send in check mode.
Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import threading
import time
import traceback

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.tim.chat.plugins.module_utils._errors import (
    THROTTLE_CODES,
    TRANSIENT_CODES,
    ConnectionFailed,
    OutcomeUnknown,
    TimApiError,
)
from ansible_collections.tim.chat.plugins.module_utils._usersig import generate_usersig

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


REGION_HOSTS = {
    "china": "console.tim.qq.com",
    "singapore": "adminapisgp.im.qcloud.com",
    "seoul": "adminapikr.im.qcloud.com",
    "tokyo": "adminapijpn.im.qcloud.com",
    "frankfurt": "adminapiger.im.qcloud.com",
    "mumbai": "adminapiind.im.qcloud.com",
    "silicon_valley": "adminapiusa.im.qcloud.com",
    "jakarta": "adminapiidn.im.qcloud.com",
}

TOPIC_SERVICE = "million_group_open_http_svc"
GROUP_SERVICE = "group_open_http_svc"

# The APIs whose documented call rate is below the 200 calls per second of the others.
DOCUMENTED_RATES = {GROUP_SERVICE + "/get_appid_group_list": 1.0}
# Calls are paced a little below the rate: requests sent exactly 1/rate apart reach the backend up to a few
# milliseconds closer together, and 201 of them in one second are refused (measured: 200/s paced gave 5 to 14
# throttled calls in 1,000 creates at 50 ms latency, 190/s none).
PACING = 0.95

USERSIG_TTL = 3600
REDACTED = "********"
# The Chat backend gives up on a request after 3 seconds. A write the client stopped waiting for (timeout,
# lost connection) may commit until then, so it is re-checked only once that time, and a margin, have passed.
BACKEND_TIMEOUT = 3.0
SETTLE_MARGIN = 0.5

# Module code runs on every target Python that ansible-core >= 2.16 supports, Python 2.7 included
# (README "Compatibility"). time.monotonic is Python 3.3+: on 2.7 the wall clock paces the limiter.
monotonic = getattr(time, "monotonic", time.time)


class CheckModeWrite(RuntimeError):
    """A write was attempted in check mode: a bug in the caller, never sent."""


class TokenBucket:
    """Calls-per-second limiter; ``acquire`` blocks until a call may start.

    ``burst`` calls may start at once; after that one call every ``1/rate`` seconds.
    """

    def __init__(self, rate, burst=1, clock=monotonic, sleep=time.sleep):
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def acquire(self):
        if self.rate <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


def backoff_delay(attempt, throttled, rand=None):
    """Capped exponential backoff with jitter: attempt 1 waits about 0.25 s (0.5 s when throttled)."""
    rand = rand or random.random
    base = 0.5 if throttled else 0.25
    cap = 8.0
    return min(cap, base * (2 ** (attempt - 1))) * (0.5 + rand() / 2)


class TimClient:
    """Calls the Chat REST API for one module run: one HTTP session, one UserSig, one limiter per API."""

    def __init__(self, params, check_mode=False, warn=None, session=None, sleep=time.sleep, clock=monotonic):
        self.sdkappid = params["sdkappid"]
        self.identifier = params["identifier"]
        self._secret_key = params.get("secret_key")
        self._fixed_usersig = params.get("usersig")
        self.base_url = (params.get("base_url") or "https://%s" % REGION_HOSTS[params["region"]]).rstrip("/")
        self.timeout = params["timeout"]
        self.retries = max(0, params["retries"])
        self.rate_limit = params["rate_limit"]
        self.concurrency = max(1, params["concurrency"])
        self.check_mode = check_mode
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._clock = clock
        self._limiters = {}
        self._limiters_lock = threading.Lock()
        self._usersig = None
        self._usersig_expires = 0
        self._usersig_lock = threading.Lock()
        self.issued_usersigs = []
        # Passed with every request: a Session-level setting would lose to REQUESTS_CA_BUNDLE.
        self._verify = params.get("ca_path") or params["validate_certs"]
        self._session = session or self._new_session()

    def _new_session(self):
        session = requests.Session()
        session.headers["Content-Type"] = "application/json; charset=utf-8"
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=self.concurrency)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    # --- secrets -----------------------------------------------------------------------------------

    def usersig(self):
        if self._fixed_usersig:
            return self._fixed_usersig
        with self._usersig_lock:
            if self._usersig is None or time.time() > self._usersig_expires - 60:
                self._usersig = generate_usersig(self.sdkappid, self._secret_key, self.identifier, USERSIG_TTL)
                self._usersig_expires = time.time() + USERSIG_TTL
                self.issued_usersigs.append(self._usersig)
            return self._usersig

    def secrets(self):
        """Every secret value this client knows, for redaction and for AnsibleModule.no_log_values."""
        values = [self._secret_key, self._fixed_usersig] + self.issued_usersigs
        return [value for value in values if value]

    def redact(self, text):
        text = to_text(text)
        for secret in self.secrets():
            text = text.replace(secret, REDACTED)
            # requests/urllib3 quote URLs in their messages: the percent-encoded sig too.
            text = text.replace(requests.utils.quote(secret, safe=""), REDACTED)
        return text

    # --- calls -------------------------------------------------------------------------------------

    def read(self, service, command, body, ok_codes=()):
        """POST a call that changes nothing; it is sent in check mode too and retried whatever failed.

        ``ok_codes``: ErrorCodes besides 0 whose answer is returned rather than raised.
        """
        return self._call("%s/%s" % (service, command), body, resend=True, recheck=None, ok_codes=ok_codes)

    def write(self, service, command, body, idempotent=False, recheck=None, ok_codes=()):
        """POST a call that changes the app; never in check mode.

        Throttling is always retried. When the outcome is unknown (timeout, lost connection, 5xx, backend
        internal error) the call is sent again only if it is ``idempotent``; a non-idempotent write passes
        ``recheck``, called before a retry, which returns the answer to use when the write turns out to have
        happened, or None to send it again. Without either the unknown outcome is raised.
        """
        api = "%s/%s" % (service, command)
        if self.check_mode:
            raise CheckModeWrite("%s is a write and the module runs in check mode" % api)
        return self._call(api, body, resend=idempotent, recheck=recheck, ok_codes=ok_codes)

    def _call(self, api, body, resend, recheck, ok_codes):
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._post_once(api, body or {}, ok_codes)
            except TimApiError as exc:
                throttled = exc.code in THROTTLE_CODES
                unknown = isinstance(exc, OutcomeUnknown)
                # Nothing was sent: trying again is safe for any call, as often as the cause deserves.
                unsent = isinstance(exc, ConnectionFailed) and (exc.tries is None or attempt <= exc.tries)
                if attempt > self.retries or not (throttled or unsent or (unknown and (resend or recheck))):
                    raise
                delay = backoff_delay(attempt, throttled)
                if unknown and recheck is not None and exc.sent_at is not None:
                    # No answer at all: the backend may still commit the write until its own timeout.
                    delay = max(delay, exc.sent_at + BACKEND_TIMEOUT + SETTLE_MARGIN - self._clock())
                self._warn("%s: retry %d of %d in %.1f s after: %s" % (api, attempt, self.retries, delay, exc.info))
                self._sleep(delay)
                if unknown and recheck is not None:
                    found = recheck()
                    if found is not None:
                        return found

    def rate_for(self, api):
        """Calls per second for ``api``: rate_limit (0: no limit of the user's), capped by the API's documented rate."""
        documented = DOCUMENTED_RATES.get(api)
        if documented is None:
            return self.rate_limit
        return documented if self.rate_limit <= 0 else min(self.rate_limit, documented)

    def _limiter(self, api):
        with self._limiters_lock:
            if api not in self._limiters:
                self._limiters[api] = TokenBucket(self.rate_for(api) * PACING, clock=self._clock, sleep=self._sleep)
            return self._limiters[api]

    def _post_once(self, api, body, ok_codes):
        self._limiter(api).acquire()
        query = dict(
            sdkappid=self.sdkappid,
            identifier=self.identifier,
            usersig=self.usersig(),
            random=random.randint(0, 4294967295),
            contenttype="json",
        )
        sent_at = self._clock()
        try:
            response = self._session.post(
                "%s/v4/%s" % (self.base_url, api), params=query, json=body, timeout=self.timeout, verify=self._verify
            )
        except requests.exceptions.RequestException as exc:
            error = self._connection_error(api, exc)
            if isinstance(error, OutcomeUnknown):
                error.sent_at = sent_at
            raise error
        except EnvironmentError as exc:
            # Local set-up, e.g. REQUESTS_CA_BUNDLE naming a missing file (requests reads it for verify=True).
            raise ConnectionFailed(api, None, "cannot set up the connection to %s: %s (check ca_path and the "
                                   "REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE environment variables)"
                                   % (self.base_url, _reason(exc)))
        if response.status_code >= 500:
            raise OutcomeUnknown(api, None, "HTTP %s from %s" % (response.status_code, self.base_url))
        try:
            payload = response.json()
        except ValueError:
            raise TimApiError(api, None, "HTTP %s with a body that is not JSON" % response.status_code)
        if not isinstance(payload, dict):
            raise TimApiError(api, None, "the answer is not a JSON object")
        code = payload.get("ErrorCode", 0)
        if code in ok_codes:
            return payload
        if code != 0 or payload.get("ActionStatus", "OK") != "OK":
            error_class = OutcomeUnknown if code in TRANSIENT_CODES else TimApiError
            raise error_class(api, code, self.redact(payload.get("ErrorInfo", "")))
        return payload

    def _connection_error(self, api, exc):
        """One sentence naming the URL and the option to check, without requests' internals (nor the URL of the
        request, which carries the UserSig). A ConnectionFailed sent nothing; an OutcomeUnknown may have."""
        text = self.redact(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            return ConnectionFailed(api, None, "TLS error talking to %s: %s (check validate_certs and ca_path)"
                                    % (self.base_url, _tls_reason(text)))
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return ConnectionFailed(api, None, "no connection to %s within %s seconds (check base_url or region, "
                                    "and timeout)" % (self.base_url, self.timeout), tries=None)
        if isinstance(exc, requests.exceptions.Timeout):
            return OutcomeUnknown(api, None, "no answer from %s within %s seconds (check timeout)"
                                  % (self.base_url, self.timeout))
        if any(sign in text for sign in DNS_FAILURES):
            return ConnectionFailed(api, None, "the host of %s is not known (check base_url or region)" % self.base_url)
        if "refused" in text.lower():
            return ConnectionFailed(api, None, "connection to %s refused: nothing answers there (check base_url or "
                                    "region)" % self.base_url, tries=1)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return OutcomeUnknown(api, None, "the connection to %s was lost before the answer (check base_url or "
                                  "region)" % self.base_url)
        return ConnectionFailed(api, None, "cannot call %s: %s (check base_url)" % (self.base_url, _reason(exc)))

    def close(self):
        self._session.close()


# What getaddrinfo says, on Linux, macOS and Windows, when a host name cannot be resolved.
DNS_FAILURES = ("Name or service not known", "nodename nor servname", "getaddrinfo failed",
                "Temporary failure in name resolution", "No address associated with hostname")


def _tls_reason(text):
    """The part of an SSL error that says what failed, e.g. "certificate verify failed: self-signed certificate"."""
    for marker in ("certificate verify failed", "wrong version number", "handshake failure", "unknown protocol"):
        start = text.find(marker)
        if start >= 0:
            end = min([position for position in (text.find(stop, start) for stop in (" (_ssl", ")", "'"))
                       if position > 0] or [len(text)])
            return text[start:end].strip()
    return "the TLS handshake failed"


def _reason(exc):
    return to_text(getattr(exc, "strerror", None) or exc)

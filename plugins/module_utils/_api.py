# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one REST helper of tim.chat: connection options, UserSig, envelope, retries,
rate limit, error mapping and secret redaction.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import sys
import threading
import time
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible.module_utils.common.text.converters import to_text

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

# The request was refused before anything was done: retrying is always safe.
THROTTLE_CODES = frozenset([10006, 60007, 60011, 60018, 60019])
# The backend failed or timed out: the write may or may not have happened.
TRANSIENT_CODES = frozenset([10002, 70169, 70202, 70500])
RETRYABLE_CODES = THROTTLE_CODES | TRANSIENT_CODES
WEBHOOK_REFUSAL_CODES = frozenset([10016]) | frozenset(range(10100, 10201))

ERROR_SENTENCES = {
    10002: "the Chat backend had an internal error (retries exhausted)",
    10003: "the Chat backend does not know this API command",
    10004: "the Chat backend rejected a parameter as invalid",
    10006: "the Chat backend kept refusing calls for exceeding its frequency limit",
    10007: "the admin account lacks the permission for this operation",
    10008: "the Chat backend could not verify the request's signature",
    10010: "the group or topic does not exist or has been deleted",
    10015: "the group ID is invalid",
    10016: "the app's webhook refused the operation",
    10021: "the topic ID is already in use",
    10037: "the community has reached its topic quota",
    11000: "topics are not enabled for this group (enable the community topic feature)",
    110003: "the topic has been deleted",
    60009: "the Chat backend does not know this API service",
    60010: "the identifier is not an app admin account (REST API calls need one)",
    60007: "the REST API frequency limit was exceeded (retries exhausted)",
    60011: "the SDKAppID frequency limit was exceeded (retries exhausted)",
    60018: "the Chat backend answered too many requests (retries exhausted)",
    60019: "the Chat backend answered too many requests (retries exhausted)",
    70001: "the UserSig has expired; generate a new one or use secret_key",
    70003: "the UserSig is invalid",
    70005: "the UserSig is invalid",
    70009: "UserSig verification failed: the secret key does not belong to this sdkappid",
    70013: "the identifier does not match the identifier the UserSig was made for",
    70014: "the sdkappid does not match the sdkappid the UserSig was made for",
    70020: "the sdkappid was not found",
    70169: "the Chat backend timed out (retries exhausted)",
    70202: "the Chat backend timed out (retries exhausted)",
    70500: "the Chat backend had an internal error (retries exhausted)",
    80001: "the content failed the Chat security check",
    80005: "the content failed the Chat security check",
}

USERSIG_TTL = 3600
REDACTED = "********"
# The Chat backend gives up on a request after 3 seconds. A write the client stopped waiting for (timeout,
# lost connection) may commit until then, so it is re-checked only once that time, and a margin, have passed.
BACKEND_TIMEOUT = 3.0
SETTLE_MARGIN = 0.5

# Module code runs on every target Python that ansible-core >= 2.16 supports, Python 2.7 included
# (README "Compatibility"). time.monotonic is Python 3.3+: on 2.7 the wall clock paces the limiter.
monotonic = getattr(time, "monotonic", time.time)


def connection_argument_spec():
    """The connection options every tim.chat module takes (see doc fragment tim.chat.connection)."""
    return dict(
        sdkappid=dict(type="int", required=True, fallback=(env_fallback, ["TIM_SDKAPPID"])),
        identifier=dict(type="str", default="administrator", fallback=(env_fallback, ["TIM_IDENTIFIER"])),
        secret_key=dict(type="str", no_log=True, fallback=(env_fallback, ["TIM_SECRET_KEY"])),
        usersig=dict(type="str", no_log=True, fallback=(env_fallback, ["TIM_USERSIG"])),
        region=dict(
            type="str", default="china", choices=sorted(REGION_HOSTS), fallback=(env_fallback, ["TIM_REGION"])
        ),
        base_url=dict(type="str", fallback=(env_fallback, ["TIM_BASE_URL"])),
        timeout=dict(type="float", default=10.0),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        retries=dict(type="int", default=5),
        rate_limit=dict(type="float", default=200.0),
        concurrency=dict(type="int", default=16),
    )


CONNECTION_MUTUALLY_EXCLUSIVE = [("secret_key", "usersig")]
CONNECTION_REQUIRED_ONE_OF = [("secret_key", "usersig")]


class TimApiError(Exception):
    """An API call that ended in a non-zero ErrorCode (or could not be completed)."""

    def __init__(self, api, code, info, http_status=None):
        self.api = api
        self.code = code
        self.info = info or ""
        self.http_status = http_status
        super(TimApiError, self).__init__(self.sentence())

    @property
    def is_webhook_refusal(self):
        return self.code in WEBHOOK_REFUSAL_CODES

    def sentence(self):
        if self.code is None:
            return "%s failed: %s" % (self.api, self.info)
        if 10100 <= self.code <= 10200:
            meaning = "the app's webhook refused the operation with its own code"
        else:
            meaning = ERROR_SENTENCES.get(self.code, "the Chat backend answered an error")
        return "%s failed with error %s: %s (%s)" % (self.api, self.code, meaning, self.info)

    def about(self, topic):
        """One sentence on this error for ``topic`` (e.g. "topic 'News'")."""
        if self.is_webhook_refusal and self.api.endswith("create_topic"):
            return "the app's Group.CallbackBeforeCreateTopic webhook refused creating %s (%s, %s)" % (
                topic, self.code, self.info)
        return "%s: %s" % (topic, self)

    def as_result(self):
        return dict(error_code=self.code, error_info=self.info, api=self.api)


class OutcomeUnknown(TimApiError):
    """A write whose request may have reached the backend but whose answer was lost.

    ``sent_at`` (the client's clock) is set when no answer came at all: the backend may still be
    working on the request.
    """

    sent_at = None


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

    def __init__(self, params, warn=None, session=None, sleep=time.sleep, clock=monotonic):
        self.sdkappid = params["sdkappid"]
        self.identifier = params["identifier"]
        self._secret_key = params.get("secret_key")
        self._fixed_usersig = params.get("usersig")
        self.base_url = (params.get("base_url") or "https://%s" % REGION_HOSTS[params["region"]]).rstrip("/")
        self.timeout = params["timeout"]
        self.retries = max(0, params["retries"])
        self.rate_limit = params["rate_limit"]
        self.concurrency = max(1, params["concurrency"])
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._clock = clock
        self._limiters = {}
        self._limiters_lock = threading.Lock()
        self._usersig = None
        self._usersig_expires = 0
        self._usersig_lock = threading.Lock()
        self.issued_usersigs = []
        self.calls = {}
        # Passed with every request: a Session-level setting would lose to REQUESTS_CA_BUNDLE.
        self._verify = params.get("ca_path") or params["validate_certs"]
        self._session = session or self._new_session(params)

    def _new_session(self, params):
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

    def _limiter(self, api):
        with self._limiters_lock:
            if api not in self._limiters:
                self._limiters[api] = TokenBucket(self.rate_limit, clock=self._clock, sleep=self._sleep)
            return self._limiters[api]

    def _post_once(self, api, body):
        self._limiter(api).acquire()
        with self._limiters_lock:
            self.calls[api] = self.calls.get(api, 0) + 1
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
        except requests.exceptions.SSLError as exc:
            raise TimApiError(api, None, "TLS error talking to %s: %s" % (self.base_url, self.redact(exc)))
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            # A refused connection never reached the server; anything else may have.
            if isinstance(exc, requests.exceptions.ConnectionError):
                error = OutcomeUnknown(api, None, "connection error: %s" % self.redact(exc))
            else:
                error = OutcomeUnknown(api, None, "no answer within %s seconds" % self.timeout)
            error.sent_at = sent_at
            raise error
        except requests.exceptions.RequestException:
            raise
        except EnvironmentError as exc:
            # Local set-up, e.g. REQUESTS_CA_BUNDLE naming a missing file (requests reads it for verify=True).
            raise TimApiError(api, None, "cannot set up the connection to %s: %s" % (self.base_url, self.redact(exc)))
        if response.status_code >= 500:
            raise OutcomeUnknown(api, None, "HTTP %s from %s" % (response.status_code, self.base_url),
                                 http_status=response.status_code)
        try:
            payload = response.json()
        except ValueError:
            raise TimApiError(api, None, "HTTP %s with a body that is not JSON" % response.status_code,
                              http_status=response.status_code)
        if not isinstance(payload, dict):
            raise TimApiError(api, None, "the answer is not a JSON object")
        code = payload.get("ErrorCode", 0)
        if code != 0 or payload.get("ActionStatus", "OK") != "OK":
            error_class = OutcomeUnknown if code in TRANSIENT_CODES else TimApiError
            raise error_class(api, code, self.redact(payload.get("ErrorInfo", "")))
        return payload

    def call(self, service, command, body, recheck=None):
        """POST one API call and return its answer; raise TimApiError when it fails for good.

        Throttling is always retried. A failure that leaves the outcome unknown (timeout, lost
        connection, 5xx, backend internal error) is retried only when the call is safe to repeat:
        pass ``recheck`` for a non-idempotent write; it is called before a retry and returns the
        answer to use when the write turns out to have happened, or None to send it again.
        """
        api = "%s/%s" % (service, command)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._post_once(api, body or {})
            except TimApiError as exc:
                throttled = exc.code in THROTTLE_CODES
                unknown = isinstance(exc, OutcomeUnknown)
                if attempt > self.retries or not (throttled or unknown):
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

    def close(self):
        self._session.close()


def summarize_failures(failures, limit=5):
    """'; '-joined sentences for [(topic label, TimApiError)], the first ``limit`` of them."""
    sentences = [error.about(where) for where, error in failures[:limit]]
    more = " (and %d more)" % (len(failures) - limit) if len(failures) > limit else ""
    return "; ".join(sentences) + more


def run_concurrently(function, items, workers):
    """Apply ``function`` to every item with up to ``workers`` threads.

    Returns ``[(item, result, error)]`` in input order; an error does not stop the other items.
    Plain threads, not concurrent.futures: that package is not in Python 2.7's standard library,
    and module code runs on 2.7 targets too (ansible-core 2.16).
    """
    items = list(items)
    results = [None] * len(items)
    fatal = []  # a BaseException (KeyboardInterrupt, SystemExit) in a worker, re-raised here
    lock = threading.Lock()
    pending = iter(range(len(items)))

    def guarded(index):
        item = items[index]
        try:
            results[index] = (item, function(item), None)
        except Exception as exc:  # noqa: BLE001 -- reported per item to the caller
            results[index] = (item, None, exc)

    def worker():
        while not fatal:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                guarded(index)
            except BaseException as exc:  # pylint: disable=broad-except
                fatal.append(exc)

    if workers <= 1 or len(items) <= 1:
        for index in range(len(items)):
            guarded(index)
        return results
    threads = [threading.Thread(target=worker) for _count in range(min(workers, len(items)))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    if fatal:
        raise fatal[0]
    return results


def text_params(value):
    """``value`` with every byte string decoded: on Python 2 targets AnsibleModule makes str options native
    byte strings, which neither equal the API's text ("\xe5\xb8\xae" != u"\u5e2e") nor mix with it."""
    if isinstance(value, dict):
        return dict((text_params(key), text_params(item)) for key, item in value.items())
    if isinstance(value, list):
        return [text_params(item) for item in value]
    if isinstance(value, bytes):
        return to_text(value, errors="surrogate_or_strict")
    return value


def missing_required_message():
    """Why a module cannot run without requests: the package, the host and the interpreter, and the fix."""
    return missing_required_lib(
        "requests",
        reason="by the tim.chat modules to call the Chat REST API: install the Python package requests for this "
        "interpreter on that host, for example with %s -m pip install requests" % sys.executable,
    )


# Connection numbers that make no sense: (option, lowest value allowed, whether that value is allowed, rule).
NUMBER_RULES = (
    ("timeout", 0, False, "more than 0 seconds"),
    ("retries", 0, True, "0 or more"),
    ("rate_limit", 0, True, "0 (no limit) or more"),
    ("concurrency", 1, True, "1 or more"),
)


def number_problems(params):
    problems = []
    for option, lowest, inclusive, rule in NUMBER_RULES:
        value = params.get(option)
        if value is not None and (value < lowest or (value == lowest and not inclusive)):
            problems.append("%s must be %s, not %s" % (option, rule, value))
    return problems


def non_string_problems(spec, raw, where=""):
    """Options of type str (or path) given a mapping, a list or a boolean in ``raw`` (the arguments as given).

    AnsibleModule turns such a value into its Python text ("{'a': 1}", "True") without a word: a topic
    would get that name. Numbers stay accepted, as in every Ansible module (topic_name: 2024).
    """
    problems = []
    for name, option in sorted(spec.items()):
        value = raw.get(name) if isinstance(raw, dict) else None
        if value is None:
            continue
        kind = option.get("type", "str")
        values = [(where + name, value)]
        if kind == "list" and isinstance(value, list):
            if option.get("options"):
                for index, item in enumerate(value):
                    problems.extend(non_string_problems(option["options"], item, "%s%s[%d]." % (where, name, index)))
                continue
            values = [("%s%s[%d]" % (where, name, index), item) for index, item in enumerate(value)]
            kind = option.get("elements")
        if kind not in ("str", "path"):
            continue
        for label, item in values:
            if isinstance(item, (dict, list, bool)):
                problems.append("%s must be a string, not %s (quote it if it is meant as text)"
                                % (label, "a boolean" if isinstance(item, bool) else "a " + type(item).__name__))
    return problems


def raw_arguments():
    """The module's arguments before AnsibleModule converted them, or None when they cannot be had."""
    try:
        from ansible.module_utils.basic import _load_params  # documented for "very dynamic" modules

        return _load_params()
    except Exception:  # pylint: disable=broad-except
        return None  # the checks that use them are a safety net, never a failure of their own


SECRET_OPTIONS = ("secret_key", "usersig")


def secret_arguments(raw):
    """The values given to the secret options in ``raw``, every leaf of a (wrongly typed) list or dict included."""
    found = []
    stack = [raw.get(option) for option in SECRET_OPTIONS] if isinstance(raw, dict) else []
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif value is not None and not isinstance(value, bool) and to_text(value):
            found.append(to_text(value))
    return found


def keeping_secrets(module_class):
    """``module_class`` whose failures hide the secret options whatever happened before.

    ansible-core forgets every no_log value when an option with suboptions (``topics``) has a value of the
    wrong type (ansible/ansible#81672): its own validation failure then printed the secret key in the
    invocation. The arguments are loaded and cached by the time anything fails.
    """

    class KeepingSecrets(module_class):
        def fail_json(self, *args, **kwargs):
            self.no_log_values.update(secret_arguments(raw_arguments()))
            return module_class.fail_json(self, *args, **kwargs)

    return KeepingSecrets


class TimModule:
    """AnsibleModule plus a TimClient; fails cleanly when requests is missing."""

    def __init__(self, module_class, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        kwargs["mutually_exclusive"] = CONNECTION_MUTUALLY_EXCLUSIVE + kwargs.get("mutually_exclusive", [])
        kwargs["required_one_of"] = CONNECTION_REQUIRED_ONE_OF + kwargs.get("required_one_of", [])
        self.module = keeping_secrets(module_class)(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_message(), exception=REQUESTS_IMPORT_ERROR)
        self.params = text_params(self.module.params)
        problems = non_string_problems(spec, raw_arguments() or {}) + number_problems(self.params)
        if problems:
            self.module.fail_json(msg="Invalid input, nothing was changed: " + "; ".join(problems))
        self.client = TimClient(self.params, warn=self.module.warn)

    def fail(self, message, error=None, **result):
        """Fail the module with a message that carries no secret, plus the API error as data."""
        if error is not None:
            result.update(error.as_result())
        for secret in self.client.secrets():
            self.module.no_log_values.add(secret)
        self.module.fail_json(msg=self.client.redact(message), **result)

    def exit(self, **result):
        for secret in self.client.secrets():
            self.module.no_log_values.add(secret)
        self.module.exit_json(**result)

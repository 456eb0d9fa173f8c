# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the AnsibleModule of every tim.chat module: the connection options, the arguments as given and the secrets
(each kept once), the checks of input that AnsibleModule lets through, and structured results and failures.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.text.converters import to_text

try:
    from urllib.parse import urlparse
except ImportError:  # Python 2.7 targets (ansible-core 2.16)
    from urlparse import urlparse

from ansible_collections.tim.chat.plugins.module_utils._client import (
    HAS_REQUESTS,
    REGION_HOSTS,
    REQUESTS_IMPORT_ERROR,
    TimClient,
)
from ansible_collections.tim.chat.plugins.module_utils._validation import text_params, type_problems

SECRET_OPTIONS = ("secret_key", "usersig")
# The credential options and their environment variables: the task's pair wins over the environment's as a whole.
CREDENTIALS = (("secret_key", "TIM_SECRET_KEY"), ("usersig", "TIM_USERSIG"))

# Connection numbers that make no sense: (option, lowest value allowed, whether that value is allowed, rule).
NUMBER_RULES = (
    ("timeout", 0, False, "more than 0 seconds"),
    ("retries", 0, True, "0 or more"),
    ("rate_limit", 0, True, "0 (no limit) or more"),
    ("concurrency", 1, True, "1 or more"),
)


def connection_argument_spec():
    """The connection options every tim.chat module takes (see doc fragment tim.chat.connection).

    sdkappid is checked by ``connection_problems`` (its message names TIM_SDKAPPID), and the credentials are taken
    from the environment by ``credentials`` (the task's pair wins as a whole), not by AnsibleModule.
    """
    return dict(
        sdkappid=dict(type="int", fallback=(env_fallback, ["TIM_SDKAPPID"])),
        identifier=dict(type="str", default="administrator", fallback=(env_fallback, ["TIM_IDENTIFIER"])),
        secret_key=dict(type="str", no_log=True),
        usersig=dict(type="str", no_log=True),
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


def number_problems(params):
    problems = []
    for option, lowest, inclusive, rule in NUMBER_RULES:
        value = params.get(option)
        if value is not None and (value < lowest or (value == lowest and not inclusive)):
            problems.append("%s must be %s, not %s" % (option, rule, value))
    return problems


def credentials(params, environ):
    """(option, value) of the one credential to sign with, from the task or else from the environment, or a problem.

    A credential given in the task (or module_defaults) wins over both TIM_SECRET_KEY and TIM_USERSIG, so a
    variable left in the shell never conflicts with the task.
    """
    given = [(option, params[option]) for option, _variable in CREDENTIALS if params.get(option)]
    if len(given) == 2:
        return None, "secret_key and usersig are mutually exclusive: give one of them"
    if given:
        return given[0], None
    found = [(option, environ[variable], variable) for option, variable in CREDENTIALS if environ.get(variable)]
    if len(found) == 2:
        return None, ("the environment sets both TIM_SECRET_KEY and TIM_USERSIG: unset one of them, or give "
                      "secret_key or usersig in the task")
    if found:
        return found[0][:2], None
    return None, ("secret_key or usersig is required: give one in the task (or module_defaults), or set the "
                  "TIM_SECRET_KEY or TIM_USERSIG environment variable")


def base_url_problem(base_url, environ):
    """Why ``base_url`` cannot be the API's base URL, or None. Empty is not set: the region's host is used (an AWX
    credential injects TIM_BASE_URL empty when it has no base URL)."""
    if not base_url:
        return None
    source = " (from TIM_BASE_URL)" if environ.get("TIM_BASE_URL") == base_url else ""
    parts = urlparse(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ("base_url '%s'%s is not an absolute http(s) URL: give the scheme and host, e.g. "
                "https://adminapisgp.im.qcloud.com or http://127.0.0.1:8080" % (base_url, source))
    if "v4" in parts.path.split("/"):
        return ("base_url '%s'%s must not contain /v4: the modules add /v4/<service>/<command>; give %s://%s"
                % (base_url, source, parts.scheme, parts.netloc))
    if parts.query or parts.fragment:
        return "base_url '%s'%s must not have a query or a fragment" % (base_url, source)
    return None


def connection_problems(params, environ):
    problems = []
    if params.get("sdkappid") is None:
        problems.append("sdkappid is required: give it in the task (or module_defaults), or set the TIM_SDKAPPID "
                        "environment variable")
    problem = base_url_problem(params.get("base_url"), environ)
    if problem:
        problems.append(problem)
    return problems + number_problems(params)


def without_nulls(value):
    """``value`` without the None values of its mappings, at any depth."""
    if isinstance(value, dict):
        return dict((key, without_nulls(item)) for key, item in value.items() if item is not None)
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def raw_arguments():
    """The module's arguments before AnsibleModule converted them, or {} when they cannot be had."""
    try:
        from ansible.module_utils.basic import _load_params  # documented for "very dynamic" modules

        return _load_params() or {}
    except Exception:  # pylint: disable=broad-except
        return {}  # the checks that use them are a safety net, never a failure of their own


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


def missing_required_message():
    """Why a module cannot run without requests: the package, the host and the interpreter, and the fix."""
    return missing_required_lib(
        "requests",
        reason="by the tim.chat modules to call the Chat REST API: install the Python package requests for this "
        "interpreter on that host, for example with %s -m pip install requests" % sys.executable,
    )


class TimModule(AnsibleModule):
    """AnsibleModule with the connection options and a TimClient (``client``), that never shows a secret.

    The arguments as given are loaded before AnsibleModule validates them: ansible-core forgets every no_log value
    when an option with suboptions has a value of the wrong type (ansible/ansible#81672), and its own validation
    failure then printed the secret key. Every failure and result hides the secrets of the arguments and of the
    client, whatever happened before.
    """

    client = None
    environment_secrets = ()

    def __init__(self, argument_spec, **kwargs):
        self.raw_arguments = raw_arguments()
        self.environment_secrets = [os.environ[variable] for _option, variable in CREDENTIALS
                                    if os.environ.get(variable)]
        spec = connection_argument_spec()
        spec.update(argument_spec)
        super(TimModule, self).__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_message(), exception=REQUESTS_IMPORT_ERROR)
        self.params = text_params(self.params)
        credential, problem = credentials(self.params, os.environ)
        problems = type_problems(spec, self.raw_arguments) + connection_problems(self.params, os.environ)
        if problems or problem:
            self.fail_json(msg="Invalid input, nothing was changed: " + "; ".join(problems + [problem] * bool(problem)))
        connection = dict(self.params, secret_key=None, usersig=None)
        connection[credential[0]] = credential[1]
        self.client = TimClient(connection, check_mode=self.check_mode, warn=self.warn)

    def secrets(self):
        return (secret_arguments(self.raw_arguments) + list(self.environment_secrets)
                + (self.client.secrets() if self.client else []))

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        self.no_log_values.update(self.secrets())
        if self.client is not None:
            msg = self.client.redact(msg)
        super(TimModule, self).fail_json(msg=msg, **self.with_invocation(kwargs))

    def exit_json(self, **kwargs):
        self.no_log_values.update(self.secrets())
        super(TimModule, self).exit_json(**self.with_invocation(kwargs))

    def with_invocation(self, result):
        """``result`` with the arguments it echoes as ``invocation`` without the options left out: for 1,000 topics
        their nulls were a third of the result that the controller has to take in. Secrets are hidden from it as
        from the rest of the result."""
        if "invocation" not in result and getattr(self, "params", None) is not None:
            result = dict(result, invocation=dict(module_args=without_nulls(self.params)))
        return result

    def fail(self, message, error=None, **result):
        """Fail with a message that carries no secret, plus the API error as data."""
        if error is not None:
            result.update(error.as_result())
        self.fail_json(msg=message, **result)

    def finish(self, outcome, **result):
        """Exit with the outcome of an engine run (its keys, then ``result``), or fail with its failure."""
        result = dict(outcome.result(), **result)
        failure = outcome.failure()
        if failure is not None:
            message, error, extra = failure
            result.update(extra)
            self.fail(message, error, **result)
        self.exit_json(**result)

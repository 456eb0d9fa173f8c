# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the AnsibleModule of every tim.chat module: the connection options, the arguments as given and the secrets
(each kept once), the checks of input that AnsibleModule lets through, and structured results and failures.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.tim.chat.plugins.module_utils._client import (
    HAS_REQUESTS,
    REGION_HOSTS,
    REQUESTS_IMPORT_ERROR,
    TimClient,
)
from ansible_collections.tim.chat.plugins.module_utils._validation import text_params, type_problems

SECRET_OPTIONS = ("secret_key", "usersig")

# Connection numbers that make no sense: (option, lowest value allowed, whether that value is allowed, rule).
NUMBER_RULES = (
    ("timeout", 0, False, "more than 0 seconds"),
    ("retries", 0, True, "0 or more"),
    ("rate_limit", 0, True, "0 (no limit) or more"),
    ("concurrency", 1, True, "1 or more"),
)


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


def number_problems(params):
    problems = []
    for option, lowest, inclusive, rule in NUMBER_RULES:
        value = params.get(option)
        if value is not None and (value < lowest or (value == lowest and not inclusive)):
            problems.append("%s must be %s, not %s" % (option, rule, value))
    return problems


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

    def __init__(self, argument_spec, **kwargs):
        self.raw_arguments = raw_arguments()
        spec = connection_argument_spec()
        spec.update(argument_spec)
        kwargs["mutually_exclusive"] = [("secret_key", "usersig")] + kwargs.get("mutually_exclusive", [])
        kwargs["required_one_of"] = [("secret_key", "usersig")] + kwargs.get("required_one_of", [])
        super(TimModule, self).__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_message(), exception=REQUESTS_IMPORT_ERROR)
        self.params = text_params(self.params)
        problems = type_problems(spec, self.raw_arguments) + number_problems(self.params)
        if problems:
            self.fail_json(msg="Invalid input, nothing was changed: " + "; ".join(problems))
        self.client = TimClient(self.params, check_mode=self.check_mode, warn=self.warn)

    def secrets(self):
        return secret_arguments(self.raw_arguments) + (self.client.secrets() if self.client else [])

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        self.no_log_values.update(self.secrets())
        if self.client is not None:
            msg = self.client.redact(msg)
        super(TimModule, self).fail_json(msg=msg, **kwargs)

    def exit_json(self, **kwargs):
        self.no_log_values.update(self.secrets())
        super(TimModule, self).exit_json(**kwargs)

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

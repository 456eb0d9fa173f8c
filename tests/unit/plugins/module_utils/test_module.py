# -*- coding: utf-8 -*-
"""Unit tests of the module wrapper: connection options, checks of the arguments as given, secrets kept."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tim.chat.plugins.module_utils import _module
from ansible_collections.tim.chat.plugins.module_utils._module import (
    TimModule,
    base_url_problem,
    connection_argument_spec,
    connection_problems,
    credentials,
)
from ansible_collections.tim.chat.plugins.module_utils._validation import type_problems


def test_connection_options_have_env_fallbacks_and_secrets_are_no_log():
    spec = connection_argument_spec()
    expected = [("sdkappid", "TIM_SDKAPPID"), ("identifier", "TIM_IDENTIFIER"), ("region", "TIM_REGION"),
                ("base_url", "TIM_BASE_URL")]
    for option, variable in expected:
        assert spec[option]["fallback"][1] == [variable]
    assert spec["secret_key"]["no_log"] and spec["usersig"]["no_log"]
    assert spec["timeout"]["default"] > 3


@pytest.mark.parametrize("task, environ, expected", [
    (dict(secret_key="k"), dict(TIM_USERSIG="u"), ("secret_key", "k")),
    (dict(usersig="u"), dict(TIM_SECRET_KEY="k", TIM_USERSIG="u2"), ("usersig", "u")),
    (dict(), dict(TIM_SECRET_KEY="k"), ("secret_key", "k")),
    (dict(), dict(TIM_USERSIG="u"), ("usersig", "u")),
])
def test_the_tasks_credential_wins_over_the_environment_as_a_pair(task, environ, expected):
    params = dict(dict(secret_key=None, usersig=None), **task)
    assert credentials(params, environ) == (expected, None)


@pytest.mark.parametrize("task, environ, words", [
    (dict(secret_key="k", usersig="u"), dict(), "mutually exclusive"),
    (dict(), dict(TIM_SECRET_KEY="k", TIM_USERSIG="u"), "the environment sets both TIM_SECRET_KEY and TIM_USERSIG"),
    (dict(), dict(), "or set the TIM_SECRET_KEY or TIM_USERSIG environment variable"),
])
def test_credential_problems_name_the_environment(task, environ, words):
    params = dict(dict(secret_key=None, usersig=None), **task)
    credential, problem = credentials(params, environ)
    assert credential is None and words in problem


@pytest.mark.parametrize("base_url, words", [
    ("127.0.0.1:8080", "base_url '127.0.0.1:8080' is not an absolute http(s) URL"),
    ("http://127.0.0.1:8080/v4", "must not contain /v4"),
    ("https://proxy.example.com/tim/v4/", "must not contain /v4"),
    ("ftp://host", "is not an absolute http(s) URL"),
    ("http://127.0.0.1:8080", None),
    ("", None),
    (None, None),
    ("https://proxy.example.com/tim", None),
])
def test_base_url_must_be_an_absolute_http_url_without_v4(base_url, words):
    problem = base_url_problem(base_url, {})
    assert problem is None if words is None else words in problem


def test_missing_sdkappid_names_the_environment_variable():
    problems = connection_problems(dict(sdkappid=None, base_url="http://x", TIM_BASE_URL="http://x"),
                                   dict(TIM_BASE_URL="http://x/v4"))
    assert problems == ["sdkappid is required: give it in the task (or module_defaults), or set the TIM_SDKAPPID "
                        "environment variable"]
    assert "(from TIM_BASE_URL)" in base_url_problem("http://x/v4", dict(TIM_BASE_URL="http://x/v4"))


def test_text_options_refuse_mappings_lists_and_booleans_but_take_numbers():
    spec = dict(topic_name=dict(type="str"), ca_path=dict(type="path"), retries=dict(type="int"),
                topic_ids=dict(type="list", elements="str"),
                topics=dict(type="list", elements="dict", options=dict(topic_name=dict(type="str"))))
    raw = dict(topic_name={"a": 1}, ca_path=["x"], retries=3, topic_ids=["ok", True],
               topics=[dict(topic_name=2024), dict(topic_name=["x"])])
    problems = type_problems(spec, raw)
    assert [problem.split(" (")[0] for problem in problems] == [
        "ca_path must be a string, not a list",
        "topic_ids[1] must be a string, not a boolean",
        "topic_name must be a string, not a dict",
        "topics[1].topic_name must be a string, not a list",
    ]
    assert type_problems(spec, dict(topic_name="x", topics=[dict(topic_name=7)])) == []


def test_connection_numbers_out_of_range_are_named():
    good = dict(timeout=0.5, retries=0, rate_limit=0, concurrency=1)
    assert _module.number_problems(good) == []
    bad = dict(timeout=0, retries=-1, rate_limit=-5, concurrency=0)
    assert _module.number_problems(bad) == [
        "timeout must be more than 0 seconds, not 0", "retries must be 0 or more, not -1",
        "rate_limit must be 0 (no limit) or more, not -5", "concurrency must be 1 or more, not 0"]


def test_failures_hide_the_secrets_even_when_ansible_core_lost_them(monkeypatch):
    # ansible-core drops every no_log value when `topics` has the wrong type (ansible/ansible#81672): the secrets
    # of the arguments as given are added again by every failure.
    failed = {}
    monkeypatch.setattr(AnsibleModule, "fail_json",
                        lambda self, msg, **kwargs: failed.update(msg=msg, hidden=set(self.no_log_values)))
    module = TimModule.__new__(TimModule)
    module.raw_arguments = dict(secret_key="k3y-value", usersig=["sig-in-a-list"], topics=5)
    module.no_log_values = set()
    module.fail_json(msg="bad topics")
    assert failed == dict(msg="bad topics", hidden={"k3y-value", "sig-in-a-list"})
    assert _module.secret_arguments(None) == []

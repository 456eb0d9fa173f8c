# -*- coding: utf-8 -*-
"""Unit tests of the module wrapper: connection options, checks of the arguments as given, secrets kept."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tim.chat.plugins.module_utils import _module
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule, connection_argument_spec
from ansible_collections.tim.chat.plugins.module_utils._validation import type_problems


def test_connection_options_have_env_fallbacks_and_secrets_are_no_log():
    spec = connection_argument_spec()
    expected = [("sdkappid", "TIM_SDKAPPID"), ("identifier", "TIM_IDENTIFIER"), ("secret_key", "TIM_SECRET_KEY"),
                ("usersig", "TIM_USERSIG"), ("region", "TIM_REGION"), ("base_url", "TIM_BASE_URL")]
    for option, variable in expected:
        assert spec[option]["fallback"][1] == [variable]
    assert spec["secret_key"]["no_log"] and spec["usersig"]["no_log"]
    assert spec["timeout"]["default"] > 3


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

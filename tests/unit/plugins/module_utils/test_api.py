# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests

from ansible_collections.tim.chat.plugins.module_utils import _api
from ansible_collections.tim.chat.plugins.module_utils._api import (
    OutcomeUnknown,
    TimApiError,
    TimClient,
    TokenBucket,
    connection_argument_spec,
)

SECRET = "very-secret-key-0123456789"


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def params(**overrides):
    values = dict(
        sdkappid=1400000000, identifier="administrator", secret_key=SECRET, usersig=None, region="china",
        base_url="http://127.0.0.1:9", timeout=10.0, validate_certs=True, ca_path=None, retries=5,
        rate_limit=0, concurrency=4,
    )
    values.update(overrides)
    return values


class Reply:
    def __init__(self, payload=None, status=200):
        self.payload = payload
        self.status_code = status

    def json(self):
        if self.payload is None:
            raise ValueError("no json")
        return self.payload


class ScriptedSession:
    """Answers posts from a script: each entry is a payload dict, an int HTTP status, or an exception."""

    def __init__(self, script):
        self.script = list(script)
        self.posts = []

    def post(self, url, params=None, json=None, timeout=None, verify=None):
        self.posts.append(dict(url=url, params=params, json=json, verify=verify))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, int):
            return Reply(None, step)
        return Reply(step)

    def close(self):
        pass


def ok(**fields):
    answer = dict(ActionStatus="OK", ErrorCode=0, ErrorInfo="")
    answer.update(fields)
    return answer


def fail(code, info="error"):
    return dict(ActionStatus="FAIL", ErrorCode=code, ErrorInfo=info)


def client_for(script, warnings=None, **overrides):
    clock = FakeClock()
    session = ScriptedSession(script)
    client = TimClient(params(**overrides), warn=(warnings.append if warnings is not None else None),
                       session=session, sleep=clock.sleep, clock=clock)
    return client, session, clock


def test_region_picks_the_host_and_base_url_overrides_it():
    client, session, _clock = client_for([ok()], base_url=None, region="frankfurt")
    client.call("svc", "cmd", {})
    assert session.posts[0]["url"] == "https://adminapiger.im.qcloud.com/v4/svc/cmd"
    client, session, _clock = client_for([ok()], base_url="http://127.0.0.1:1234/")
    client.call("svc", "cmd", {})
    assert session.posts[0]["url"] == "http://127.0.0.1:1234/v4/svc/cmd"


def test_query_carries_a_fresh_random_and_the_body_is_never_empty():
    client, session, _clock = client_for([ok(), ok()])
    client.call("svc", "cmd", None)
    client.call("svc", "cmd", {"A": 1})
    first, second = session.posts
    assert first["json"] == {}
    assert second["json"] == {"A": 1}
    for post in session.posts:
        assert set(post["params"]) == {"sdkappid", "identifier", "usersig", "random", "contenttype"}
        assert 0 <= post["params"]["random"] <= 4294967295
        assert post["params"]["contenttype"] == "json"
    assert first["params"]["usersig"] == second["params"]["usersig"]


@pytest.mark.parametrize("failure", [fail(10002), 502, requests.exceptions.ConnectTimeout("slow")])
def test_transient_failures_are_retried_until_success(failure):
    warnings = []
    client, session, clock = client_for([failure, failure, ok(TopicId="x")], warnings)
    assert client.call("svc", "cmd", {})["TopicId"] == "x"
    assert len(session.posts) == 3
    assert len(warnings) == 2 and "retry 1 of 5" in warnings[0]
    assert clock.now > 0  # backed off


def test_invalid_parameter_is_not_retried():
    client, session, _clock = client_for([fail(10004, "TopicName too long"), ok()])
    with pytest.raises(TimApiError) as caught:
        client.call("million_group_open_http_svc", "create_topic", {})
    assert len(session.posts) == 1
    assert caught.value.code == 10004
    assert caught.value.api == "million_group_open_http_svc/create_topic"
    assert "TopicName too long" in str(caught.value)
    assert caught.value.as_result() == dict(
        error_code=10004, error_info="TopicName too long", api="million_group_open_http_svc/create_topic")


def test_throttling_backs_off_longer_than_transient_errors(monkeypatch):
    monkeypatch.setattr(_api.random, "random", lambda: 1.0)
    client, _session, clock = client_for([fail(10006), ok()])
    client.call("svc", "cmd", {})
    throttled_wait = clock.now
    client, _session, clock = client_for([fail(10002), ok()])
    client.call("svc", "cmd", {})
    assert throttled_wait == 0.5 and clock.now == 0.25


def test_backoff_is_exponential_and_capped():
    delays = [_api.backoff_delay(attempt, False, rand=lambda: 1.0) for attempt in range(1, 9)]
    assert delays[:4] == [0.25, 0.5, 1.0, 2.0]
    assert max(delays) == 8.0


def test_retries_are_bounded():
    client, session, _clock = client_for([fail(60007)] * 4, retries=3)
    with pytest.raises(TimApiError) as caught:
        client.call("svc", "cmd", {})
    assert caught.value.code == 60007
    assert len(session.posts) == 4


def test_recheck_stops_a_lost_create_from_being_sent_twice():
    client, session, _clock = client_for([requests.exceptions.ReadTimeout("lost"), ok(TopicId="new")])
    answer = client.call("svc", "create_topic", {}, recheck=lambda: {"TopicId": "found"})
    assert answer == {"TopicId": "found"}
    assert len(session.posts) == 1


def test_recheck_that_finds_nothing_sends_again():
    client, session, _clock = client_for([502, ok(TopicId="new")])
    assert client.call("svc", "create_topic", {}, recheck=lambda: None)["TopicId"] == "new"
    assert len(session.posts) == 2


def test_a_write_without_answer_is_rechecked_only_after_the_backend_timeout():
    # The backend may still commit a request the client stopped waiting for, until its own 3 s timeout:
    # a re-check before that would find nothing and send the create a second time.
    checks = []
    client, session, clock = client_for([requests.exceptions.ReadTimeout("slow"), ok(TopicId="new")], timeout=1.0)
    client.call("svc", "create_topic", {}, recheck=lambda: checks.append(clock.now))
    assert checks[0] >= _api.BACKEND_TIMEOUT
    assert len(session.posts) == 2
    # An answer that came (HTTP 502) means the backend is done with the request: the usual short backoff.
    checks = []
    client, session, clock = client_for([502, ok(TopicId="new")])
    client.call("svc", "create_topic", {}, recheck=lambda: checks.append(clock.now))
    assert checks[0] <= 0.25


def test_throttled_create_is_resent_without_recheck():
    checks = []
    client, session, _clock = client_for([fail(60007), ok(TopicId="new")])
    client.call("svc", "create_topic", {}, recheck=lambda: checks.append(1))
    assert checks == [] and len(session.posts) == 2


def test_token_bucket_spaces_calls_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(200, burst=1, clock=clock, sleep=clock.sleep)
    for _call in range(1001):
        bucket.acquire()
    # the first call is free (burst), the next 1000 come one every 1/200 s
    assert clock.now == pytest.approx(1000 / 200.0)


def test_token_bucket_with_burst_lets_the_burst_through_at_once():
    clock = FakeClock()
    bucket = TokenBucket(10, burst=5, clock=clock, sleep=clock.sleep)
    for _call in range(5):
        bucket.acquire()
    assert clock.now == 0
    for _call in range(20):
        bucket.acquire()
    assert clock.now >= (25 - 5) / 10.0 - 1e-9


def test_rate_limit_zero_means_unlimited():
    clock = FakeClock()
    bucket = TokenBucket(0, clock=clock, sleep=clock.sleep)
    for _call in range(100):
        bucket.acquire()
    assert clock.now == 0


def test_each_api_has_its_own_limiter():
    client, _session, _clock = client_for([])
    assert client._limiter("a/x") is client._limiter("a/x")
    assert client._limiter("a/x") is not client._limiter("a/y")


def test_connection_error_message_has_no_secret():
    client, _session, _clock = client_for([])
    sig = client.usersig()
    error = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: "
        "/v4/svc/cmd?usersig=%s&key=%s (Caused by NewConnectionError)" % (requests.utils.quote(sig, safe=""), SECRET))
    client._session = ScriptedSession([error] * 6)
    with pytest.raises(TimApiError) as caught:
        client.call("svc", "cmd", {})
    text = str(caught.value) + caught.value.info
    assert sig not in text and requests.utils.quote(sig, safe="") not in text
    assert SECRET not in text
    assert "********" in text


def test_error_info_from_the_server_is_redacted():
    client, _session, _clock = client_for([])
    sig = client.usersig()
    client._session = ScriptedSession([fail(70009, "bad sig %s" % sig)])
    with pytest.raises(TimApiError) as caught:
        client.call("svc", "cmd", {})
    assert sig not in str(caught.value)
    assert "secret key does not belong to this sdkappid" in str(caught.value)


def test_secrets_lists_key_and_every_issued_usersig():
    client, _session, _clock = client_for([])
    sig = client.usersig()
    assert set(client.secrets()) == {SECRET, sig}


def test_a_ready_usersig_is_used_as_is():
    client, session, _clock = client_for([ok()], secret_key=None, usersig="ready-sig")
    client.call("svc", "cmd", {})
    assert session.posts[0]["params"]["usersig"] == "ready-sig"


def test_webhook_refusal_codes():
    assert TimApiError("a", 10016, "").is_webhook_refusal
    assert TimApiError("a", 10150, "").is_webhook_refusal
    assert not TimApiError("a", 10004, "").is_webhook_refusal
    assert "own code" in TimApiError("a", 10150, "reserved").sentence()


def test_non_json_answer_is_a_clear_error():
    client, _session, _clock = client_for([404])
    with pytest.raises(TimApiError) as caught:
        client.call("svc", "cmd", {})
    assert "not JSON" in str(caught.value)
    assert not isinstance(caught.value, OutcomeUnknown)


def test_connection_options_have_env_fallbacks_and_secrets_are_no_log():
    spec = connection_argument_spec()
    expected = [("sdkappid", "TIM_SDKAPPID"), ("identifier", "TIM_IDENTIFIER"), ("secret_key", "TIM_SECRET_KEY"),
                ("usersig", "TIM_USERSIG"), ("region", "TIM_REGION"), ("base_url", "TIM_BASE_URL")]
    for option, variable in expected:
        assert spec[option]["fallback"][1] == [variable]
    assert spec["secret_key"]["no_log"] and spec["usersig"]["no_log"]
    assert spec["timeout"]["default"] > 3


def test_certificate_settings_go_with_every_request():
    client, session, _clock = client_for([ok(), ok(), ok()], validate_certs=False)
    client.call("svc", "cmd", {})
    assert session.posts[0]["verify"] is False
    client, session, _clock = client_for([ok()], ca_path="/etc/ca.pem")
    client.call("svc", "cmd", {})
    assert session.posts[0]["verify"] == "/etc/ca.pem"


def test_text_options_refuse_mappings_lists_and_booleans_but_take_numbers():
    spec = dict(topic_name=dict(type="str"), ca_path=dict(type="path"), retries=dict(type="int"),
                topic_ids=dict(type="list", elements="str"),
                topics=dict(type="list", elements="dict", options=dict(topic_name=dict(type="str"))))
    raw = dict(topic_name={"a": 1}, ca_path=["x"], retries=3, topic_ids=["ok", True],
               topics=[dict(topic_name=2024), dict(topic_name=["x"])])
    problems = _api.non_string_problems(spec, raw)
    assert [problem.split(" (")[0] for problem in problems] == [
        "ca_path must be a string, not a list",
        "topic_ids[1] must be a string, not a boolean",
        "topic_name must be a string, not a dict",
        "topics[1].topic_name must be a string, not a list",
    ]
    assert _api.non_string_problems(spec, dict(topic_name="x", topics=[dict(topic_name=7)])) == []


def test_connection_numbers_out_of_range_are_named():
    good = dict(timeout=0.5, retries=0, rate_limit=0, concurrency=1)
    assert _api.number_problems(good) == []
    bad = dict(timeout=0, retries=-1, rate_limit=-5, concurrency=0)
    assert _api.number_problems(bad) == [
        "timeout must be more than 0 seconds, not 0", "retries must be 0 or more, not -1",
        "rate_limit must be 0 (no limit) or more, not -5", "concurrency must be 1 or more, not 0"]


def test_failures_hide_the_secrets_even_when_ansible_core_lost_them(monkeypatch):
    # ansible-core drops every no_log value when `topics` has the wrong type (ansible/ansible#81672).
    monkeypatch.setattr(_api, "raw_arguments", lambda: dict(secret_key="k3y-value", usersig=["sig-in-a-list"],
                                                            topics=5))

    class FakeModule:
        def __init__(self, **kwargs):
            self.no_log_values = set()
            self.failed = None

        def fail_json(self, msg, **kwargs):
            self.failed = msg

    module = _api.keeping_secrets(FakeModule)()
    module.fail_json(msg="bad topics")
    assert module.failed == "bad topics"
    assert module.no_log_values == {"k3y-value", "sig-in-a-list"}
    assert _api.secret_arguments(None) == []

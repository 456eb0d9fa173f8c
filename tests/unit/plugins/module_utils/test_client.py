# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests

from ansible_collections.tim.chat.plugins.module_utils import _client
from ansible_collections.tim.chat.plugins.module_utils._client import CheckModeWrite, TimClient, TokenBucket
from ansible_collections.tim.chat.plugins.module_utils._errors import OutcomeUnknown, TimApiError

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


def client_for(script, warnings=None, check_mode=False, **overrides):
    clock = FakeClock()
    session = ScriptedSession(script)
    client = TimClient(params(**overrides), check_mode=check_mode,
                       warn=(warnings.append if warnings is not None else None), session=session, sleep=clock.sleep,
                       clock=clock)
    return client, session, clock


def test_region_picks_the_host_and_base_url_overrides_it():
    client, session, _clock = client_for([ok()], base_url=None, region="frankfurt")
    client.read("svc", "cmd", {})
    assert session.posts[0]["url"] == "https://adminapiger.im.qcloud.com/v4/svc/cmd"
    client, session, _clock = client_for([ok()], base_url="http://127.0.0.1:1234/")
    client.read("svc", "cmd", {})
    assert session.posts[0]["url"] == "http://127.0.0.1:1234/v4/svc/cmd"


def test_query_carries_a_fresh_random_and_the_body_is_never_empty():
    client, session, _clock = client_for([ok(), ok()])
    client.read("svc", "cmd", None)
    client.read("svc", "cmd", {"A": 1})
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
    assert client.read("svc", "cmd", {})["TopicId"] == "x"
    assert len(session.posts) == 3
    assert len(warnings) == 2 and "retry 1 of 5" in warnings[0]
    assert clock.now > 0  # backed off


def test_invalid_parameter_is_not_retried():
    client, session, _clock = client_for([fail(10004, "TopicName too long"), ok()])
    with pytest.raises(TimApiError) as caught:
        client.write("million_group_open_http_svc", "create_topic", {})
    assert len(session.posts) == 1
    assert caught.value.code == 10004
    assert caught.value.api == "million_group_open_http_svc/create_topic"
    assert "TopicName too long" in str(caught.value)
    assert caught.value.as_result() == dict(
        error_code=10004, error_info="TopicName too long", api="million_group_open_http_svc/create_topic")


def test_throttling_backs_off_longer_than_transient_errors(monkeypatch):
    monkeypatch.setattr(_client.random, "random", lambda: 1.0)
    client, _session, clock = client_for([fail(10006), ok()])
    client.read("svc", "cmd", {})
    throttled_wait = clock.now
    client, _session, clock = client_for([fail(10002), ok()])
    client.read("svc", "cmd", {})
    assert throttled_wait == 0.5 and clock.now == 0.25


def test_backoff_is_exponential_and_capped():
    delays = [_client.backoff_delay(attempt, False, rand=lambda: 1.0) for attempt in range(1, 9)]
    assert delays[:4] == [0.25, 0.5, 1.0, 2.0]
    assert max(delays) == 8.0


def test_retries_are_bounded():
    client, session, _clock = client_for([fail(60007)] * 4, retries=3)
    with pytest.raises(TimApiError) as caught:
        client.read("svc", "cmd", {})
    assert caught.value.code == 60007
    assert len(session.posts) == 4


def test_recheck_stops_a_lost_create_from_being_sent_twice():
    client, session, _clock = client_for([requests.exceptions.ReadTimeout("lost"), ok(TopicId="new")])
    answer = client.write("svc", "create_topic", {}, recheck=lambda: {"TopicId": "found"})
    assert answer == {"TopicId": "found"}
    assert len(session.posts) == 1


def test_recheck_that_finds_nothing_sends_again():
    client, session, _clock = client_for([502, ok(TopicId="new")])
    assert client.write("svc", "create_topic", {}, recheck=lambda: None)["TopicId"] == "new"
    assert len(session.posts) == 2


def test_a_write_without_answer_is_rechecked_only_after_the_backend_timeout():
    # The backend may still commit a request the client stopped waiting for, until its own 3 s timeout:
    # a re-check before that would find nothing and send the create a second time.
    checks = []
    client, session, clock = client_for([requests.exceptions.ReadTimeout("slow"), ok(TopicId="new")], timeout=1.0)
    client.write("svc", "create_topic", {}, recheck=lambda: checks.append(clock.now))
    assert checks[0] >= _client.BACKEND_TIMEOUT
    assert len(session.posts) == 2
    # An answer that came (HTTP 502) means the backend is done with the request: the usual short backoff.
    checks = []
    client, session, clock = client_for([502, ok(TopicId="new")])
    client.write("svc", "create_topic", {}, recheck=lambda: checks.append(clock.now))
    assert checks[0] <= 0.25


def test_throttled_create_is_resent_without_recheck():
    checks = []
    client, session, _clock = client_for([fail(60007), ok(TopicId="new")])
    client.write("svc", "create_topic", {}, recheck=lambda: checks.append(1))
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


def test_an_api_documented_slower_keeps_its_own_rate():
    client, _session, clock = client_for([ok()] * 3, rate_limit=200)
    assert client.rate_for("group_open_http_svc/get_appid_group_list") == 1.0
    assert client.rate_for("group_open_http_svc/get_group_info") == 200
    for _page in range(3):
        client.read("group_open_http_svc", "get_appid_group_list", {})
    assert clock.now == pytest.approx(2.0 / _client.PACING)  # one call a second, and a little more
    client, _session, _clock = client_for([], rate_limit=0.5)
    assert client.rate_for("group_open_http_svc/get_appid_group_list") == 0.5
    client, _session, _clock = client_for([], rate_limit=0)
    assert client.rate_for("group_open_http_svc/get_appid_group_list") == 1.0


def test_connection_error_message_has_no_secret():
    client, _session, _clock = client_for([])
    sig = client.usersig()
    error = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: "
        "/v4/svc/cmd?usersig=%s&key=%s (Caused by NewConnectionError)" % (requests.utils.quote(sig, safe=""), SECRET))
    client._session = ScriptedSession([error] * 6)
    with pytest.raises(TimApiError) as caught:
        client.read("svc", "cmd", {})
    text = str(caught.value) + caught.value.info
    assert sig not in text and requests.utils.quote(sig, safe="") not in text
    assert SECRET not in text and "usersig" not in text and "HTTPSConnectionPool" not in text
    assert "the connection to http://127.0.0.1:9 was lost before the answer (check base_url or region)" in text


@pytest.mark.parametrize("error, sentence, posts", [
    (requests.exceptions.ConnectionError("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with "
                                         "url: /v4/svc/cmd?usersig=x (Caused by NewConnectionError(': Failed to "
                                         "establish a new connection: [Errno 111] Connection refused'))"),
     "connection to http://127.0.0.1:9 refused: nothing answers there (check base_url or region)", 2),
    (requests.exceptions.ConnectionError("HTTPSConnectionPool(host='nohost.invalid', port=443): Max retries exceeded "
                                         "(Caused by NameResolutionError(\"Failed to resolve 'nohost.invalid' ([Errno "
                                         "-2] Name or service not known)\"))"),
     "the host of http://127.0.0.1:9 is not known (check base_url or region)", 1),
    (requests.exceptions.SSLError("HTTPSConnectionPool(host='127.0.0.1', port=9): Max retries exceeded (Caused by "
                                  "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                  "verify failed: self-signed certificate (_ssl.c:1006)')))"),
     "TLS error talking to http://127.0.0.1:9: certificate verify failed: self-signed certificate (check "
     "validate_certs and ca_path)", 1),
    (requests.exceptions.ConnectTimeout("timed out"),
     "no connection to http://127.0.0.1:9 within 10.0 seconds (check base_url or region, and timeout)", 6),
    (requests.exceptions.ReadTimeout("read timed out"),
     "no answer from http://127.0.0.1:9 within 10.0 seconds (check timeout)", 6),
])
def test_connection_failures_are_one_sentence_naming_the_url_and_the_option(error, sentence, posts):
    client, session, _clock = client_for([error] * 6)
    with pytest.raises(TimApiError) as caught:
        client.read("svc", "cmd", {})
    assert caught.value.info == sentence
    assert len(session.posts) == posts  # refused: one retry at most; unknown host and TLS: none


def test_error_info_from_the_server_is_redacted():
    client, _session, _clock = client_for([])
    sig = client.usersig()
    client._session = ScriptedSession([fail(70009, "bad sig %s" % sig)])
    with pytest.raises(TimApiError) as caught:
        client.read("svc", "cmd", {})
    assert sig not in str(caught.value)
    assert "secret key does not belong to this sdkappid" in str(caught.value)


def test_secrets_lists_key_and_every_issued_usersig():
    client, _session, _clock = client_for([])
    sig = client.usersig()
    assert set(client.secrets()) == {SECRET, sig}


def test_a_ready_usersig_is_used_as_is():
    client, session, _clock = client_for([ok()], secret_key=None, usersig="ready-sig")
    client.read("svc", "cmd", {})
    assert session.posts[0]["params"]["usersig"] == "ready-sig"


def test_webhook_refusal_codes():
    assert TimApiError("a", 10016, "").is_webhook_refusal
    assert TimApiError("a", 10150, "").is_webhook_refusal
    assert not TimApiError("a", 10004, "").is_webhook_refusal
    assert "own code" in TimApiError("a", 10150, "reserved").sentence()


def test_non_json_answer_is_a_clear_error():
    client, _session, _clock = client_for([404])
    with pytest.raises(TimApiError) as caught:
        client.read("svc", "cmd", {})
    assert "not JSON" in str(caught.value)
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_write_is_never_sent_in_check_mode():
    client, session, _clock = client_for([ok(), ok()], check_mode=True)
    assert client.read("svc", "get_topic", {}) == ok()
    with pytest.raises(CheckModeWrite):
        client.write("svc", "create_topic", {"TopicName": "A"})
    assert len(session.posts) == 1


def test_a_write_whose_answer_was_lost_is_not_sent_again_unless_it_is_idempotent():
    client, session, _clock = client_for([502, ok()])
    with pytest.raises(OutcomeUnknown):
        client.write("svc", "cmd", {})
    assert len(session.posts) == 1
    client, session, _clock = client_for([502, ok()])
    assert client.write("svc", "cmd", {}, idempotent=True) == ok()
    assert len(session.posts) == 2


def test_a_throttled_write_is_sent_again_in_any_case():
    client, session, _clock = client_for([fail(60007), ok()])
    assert client.write("svc", "cmd", {}) == ok()
    assert len(session.posts) == 2

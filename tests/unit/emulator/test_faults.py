"""Rate limit, fault injection, latency concurrency, keep-alive, request log redaction, config."""

import http.client
import json
import threading
import time
import urllib.parse

import pytest
import requests

from tests.unit.emulator._helpers import ADMIN, MILLION, Client


def _get_body(gid):
    return {"GroupId": gid, "From_Account": ADMIN}


def test_rate_limit_per_command(make_emu):
    emu = make_emu(rate_limit=20)
    c = emu.client()
    gid = c.community()
    codes = [c.topic("get_topic", _get_body(gid))["ErrorCode"] for _attempt in range(30)]
    assert codes.count(0) == 20 and codes.count(60007) == 10
    assert codes[:20] == [0] * 20
    # another command has its own budget
    assert c.topic("create_topic", {"GroupId": gid, "TopicName": "t"})["ErrorCode"] == 0
    stats = c.admin("GET", "stats")
    assert stats["faults"]["throttled"] == 10
    assert stats["calls"][MILLION + "/get_topic"] == 30
    time.sleep(1.05)
    assert c.topic("get_topic", _get_body(gid))["ErrorCode"] == 0


def test_rate_limit_off(make_emu):
    c = make_emu(rate_limit=0).client()
    gid = c.community()
    assert all(c.topic("get_topic", _get_body(gid))["ErrorCode"] == 0 for _attempt in range(250))


def test_error_rate_rejects_before_write(make_emu):
    emu = make_emu(error_rates={"10002": 1.0})
    c = emu.client()
    out = c.call("group_open_http_svc/create_group", {"Type": "Community", "Name": "x", "SupportTopic": 1})
    assert out["ErrorCode"] == 10002 and out["ActionStatus"] == "FAIL"
    assert c.admin("GET", "state")["groups"] == []
    assert c.admin("GET", "stats")["faults"]["error"] == 1
    c.admin("POST", "config", {"error_rates": {}})
    assert c.community()


def test_error_rate_is_reproducible_with_seed(make_emu):
    def run():
        emu = make_emu(error_rates={"10006": 0.5}, seed=42, rate_limit=0)
        c = emu.client()
        return [c.topic("get_topic", _get_body("@TGS#_none"))["ErrorCode"] for _attempt in range(40)]
    a, b = run(), run()
    assert a == b and 10006 in a and 10010 in a


def test_http_502(make_emu):
    emu = make_emu(http_502_rate=1.0)
    c = emu.client()
    resp = c.post("group_open_http_svc/create_group", {"Type": "Community", "Name": "x", "SupportTopic": 1})
    assert resp.status_code == 502 and b"502 Bad Gateway" in resp.content
    assert c.admin("GET", "state")["groups"] == []
    assert c.admin("GET", "stats")["faults"]["http_502"] == 1


def test_drop_after_commit(make_emu):
    emu = make_emu(drop_rate=1.0)
    c = emu.client()
    with pytest.raises(requests.ConnectionError):
        c.post("group_open_http_svc/create_group", {"Type": "Community", "Name": "x", "SupportTopic": 1,
                                                    "GroupId": "@TGS#_dropped"})
    # the write was committed nonetheless
    state = c.admin("GET", "state")
    assert [g["GroupId"] for g in state["groups"]] == ["@TGS#_dropped"]
    stats = c.admin("GET", "stats")
    assert stats["faults"]["drop"] == 1 and stats["writes"]["group_open_http_svc/create_group"] == 1
    # reads are never dropped
    assert c.topic("get_topic", _get_body("@TGS#_dropped"))["ErrorCode"] == 0


def test_latency_does_not_serialize(make_emu):
    emu = make_emu(latency_ms=200)
    gid = emu.client().community()
    results = []

    def worker():
        results.append(emu.client().topic("get_topic", _get_body(gid))["ErrorCode"])

    threads = [threading.Thread(target=worker) for _attempt in range(16)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    assert results == [0] * 16
    assert 0.2 <= elapsed < 1.0, elapsed  # 16 x 200 ms in parallel, not 3.2 s


def test_latency_spike(make_emu):
    emu = make_emu(latency_spike_ms=300, latency_spike_rate=1.0)
    c = emu.client()
    t0 = time.time()
    c.topic("get_topic", _get_body("@TGS#_x"))
    assert time.time() - t0 >= 0.3


def test_keep_alive_single_connection(emu):
    c = emu.client()
    gid = c.community()
    parts = urllib.parse.urlsplit(emu.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.connect()
    sock = conn.sock
    for i in range(5):
        qs = urllib.parse.urlencode({"sdkappid": c.sdkappid, "identifier": ADMIN, "usersig": c.sig,
                                     "random": i, "contenttype": "json"})
        conn.request("POST", "/v4/%s/get_topic?%s" % (MILLION, qs), body=json.dumps(_get_body(gid)),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Length")
        assert json.loads(resp.read())["ErrorCode"] == 0
        assert conn.sock is sock  # same socket reused
    conn.close()


def test_request_log_redacts_usersig(emu):
    c = emu.client()
    c.topic("get_topic", _get_body("@TGS#_x"))
    reqs = c.admin("GET", "requests")["requests"]
    assert reqs and all("usersig=REDACTED" in r["path"] for r in reqs)
    dump = json.dumps(reqs)
    assert c.sig not in dump
    last = reqs[-1]
    assert last["command"] == "get_topic" and last["error_code"] == 10010 and last["http_status"] == 200


def test_config_endpoint(emu):
    c = Client(emu.url)
    cfg = c.admin("POST", "config", {"latency_ms": 5, "error_rates": {"10002": 0.25}, "rate_limit": 0})
    assert cfg["latency_ms"] == 5 and cfg["error_rates"] == {"10002": 0.25} and cfg["rate_limit"] == 0
    assert c.admin("GET", "config") == cfg
    resp = c.session.post(emu.url + "/_emulator/config", data=json.dumps({"drop_rate": 2}))
    assert resp.status_code == 400
    resp = c.session.post(emu.url + "/_emulator/config", data=json.dumps({"nope": 1}))
    assert resp.status_code == 400

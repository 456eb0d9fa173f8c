"""Callbacks: before-create allow / refuse / custom code / timeout / connection refused, token Sign,
after-callbacks, import fires none.  The app side is the webhook receiver subprocess."""

import socket
import time

import pytest

from tests.emulator.launcher import start_webhook
from tests.unit.emulator._helpers import ADMIN, GROUP, SDKAPPID

TOKEN = "cb-token"


@pytest.fixture(scope="module")
def hook():
    with start_webhook(token=TOKEN, refuse={"forbidden": 1, "reserved": 10150}) as proc:
        yield proc


@pytest.fixture
def cb_client(make_emu, hook):
    hook.clear()
    hook.configure(delay_s=0)
    emu = make_emu(callback_url=hook.url + "/tim", callback_token=TOKEN, callback_timeout=2.0)
    c = emu.client()
    c.emu = emu
    return c


def _wait_for(fn, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = fn()
        if out:
            return out
        time.sleep(0.05)
    return fn()


def test_before_create_allowed_with_sign(cb_client, hook):
    gid = cb_client.community()
    out = cb_client.topic("create_topic", {"GroupId": gid, "TopicName": "hello", "From_Account": "alice"})
    assert out["ErrorCode"] == 0
    rec = hook.received()
    before = [r for r in rec if r["body"]["CallbackCommand"] == "Group.CallbackBeforeCreateTopic"]
    assert len(before) == 1
    q = before[0]["query"]
    assert before[0]["path"] == "/tim"
    assert q["SdkAppid"] == str(SDKAPPID) and q["CallbackCommand"] == "Group.CallbackBeforeCreateTopic"
    assert q["contenttype"] == "json" and q["OptPlatform"] == "RESTAPI" and q["ClientIP"] == "127.0.0.1"
    assert "RequestTime" in q and before[0]["sign_ok"] is True
    assert before[0]["body"] == {"CallbackCommand": "Group.CallbackBeforeCreateTopic",
                                 "Operator_Account": "alice", "Type": "Community", "Name": "hello"}
    after = _wait_for(lambda: [r for r in hook.received()
                               if r["body"]["CallbackCommand"] == "Group.CallbackAfterCreateTopic"])
    assert after[0]["body"]["TopicId"] == out["TopicId"] and after[0]["body"]["GroupId"] == gid
    assert after[0]["body"]["Name"] == "hello" and after[0]["sign_ok"] is True
    outcomes = [c["outcome"] for c in cb_client.emu.app.callbacks.entries()]
    assert outcomes[0] == "allowed"


def test_wrong_token_detected_by_receiver(make_emu, hook):
    hook.clear()
    c = make_emu(callback_url=hook.url, callback_token="wrong").client()
    gid = c.community()
    assert c.topic("create_topic", {"GroupId": gid, "TopicName": "x"})["ErrorCode"] == 0
    assert hook.received()[0]["sign_ok"] is False


def test_refused_generic(cb_client, emu_state_check=None):
    gid = cb_client.community()
    out = cb_client.topic("create_topic", {"GroupId": gid, "TopicName": "forbidden"})
    assert out["ErrorCode"] == 10016 and out["ActionStatus"] == "FAIL"
    got = cb_client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})
    assert got["TopicAndSelfInfo"] == []
    assert cb_client.admin("GET", "stats")["writes"].get("million_group_open_http_svc/create_topic") is None


def test_refused_custom_code(cb_client):
    gid = cb_client.community()
    out = cb_client.topic("create_topic", {"GroupId": gid, "TopicName": "reserved"})
    assert out["ErrorCode"] == 10150 and out["ErrorInfo"] == "name reserved is reserved"


def test_timeout_allows(make_emu, hook):
    hook.clear()
    hook.configure(delay_s=1.0)
    try:
        c = make_emu(callback_url=hook.url, callback_timeout=0.3).client()
        gid = c.community()
        t0 = time.time()
        out = c.topic("create_topic", {"GroupId": gid, "TopicName": "forbidden"})
        assert out["ErrorCode"] == 0  # the refusal came too late: default policy = go ahead
        assert time.time() - t0 < 1.0
        assert c.admin("GET", "callbacks")["callbacks"][0]["outcome"] == "timeout:allowed"
    finally:
        hook.configure(delay_s=0)


def test_connection_refused_allows(make_emu):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = make_emu(callback_url="http://127.0.0.1:%d/" % port).client()
    gid = c.community()
    assert c.topic("create_topic", {"GroupId": gid, "TopicName": "x"})["ErrorCode"] == 0
    assert c.admin("GET", "callbacks")["callbacks"][0]["outcome"] == "error:allowed"


def test_after_callbacks_modify_destroy(cb_client, hook):
    gid = cb_client.community()
    tid = cb_client.topic("create_topic", {"GroupId": gid, "TopicName": "a"})["TopicId"]
    assert cb_client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "TopicName": "b",
                                            "Introduction": "intro"})["ErrorCode"] == 0
    assert cb_client.topic("destroy_topic", {"GroupId": gid, "TopicIdList": [tid]})["ErrorCode"] == 0
    cb_client.admin("POST", "flush_callbacks")
    bodies = dict((r["body"]["CallbackCommand"], r["body"]) for r in hook.received())
    changed = bodies["Group.CallbackAfterTopicInfoChanged"]
    assert changed["GroupId"] == gid and changed["TopicId"] == tid
    assert changed["Name"] == "b" and changed["Introduction"] == "intro" and changed["Type"] == "Community"
    destroyed = bodies["Group.CallbackAfterTopicDestroyed"]
    assert destroyed == {"CallbackCommand": "Group.CallbackAfterTopicDestroyed", "GroupId": gid,
                         "Type": "Community", "TopicIdList": [tid]}


def test_import_fires_no_callback(cb_client, hook):
    gid = cb_client.community()
    out = cb_client.call(GROUP + "/import_topic", {"GroupId": gid, "TopicName": "forbidden", "CreateTime": 1})
    assert out["ErrorCode"] == 0  # not refused: the webhook is not asked
    cb_client.admin("POST", "flush_callbacks")
    assert hook.received() == []
    assert cb_client.admin("GET", "callbacks")["callbacks"] == []

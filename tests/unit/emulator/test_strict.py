"""--strict (only the documented request fields, no nulls) and the fidelity fixes: non-POST methods get
the JSON envelope, ASCII-only digits in the URL."""

import http.client
import json
import urllib.parse

import pytest
import requests

from tests.unit.emulator._helpers import ADMIN, GROUP, LOGIN, MILLION

GID = "@TGS#_strict"
TID = GID + "@TOPIC#_t"


def _valid_bodies():
    """One documented, accepted body per command (path, body), in an order that works on a fresh
    emulator holding the community GID and its topic TID."""
    return [
        (GROUP + "/create_group", {"Type": "Public", "Name": "p", "Owner_Account": ADMIN, "Introduction": "i"}),
        (GROUP + "/get_group_info", {"GroupIdList": [GID], "ResponseFilter": {"GroupBaseInfoFilter": ["Name"]}}),
        (GROUP + "/modify_group_base_info", {"GroupId": GID, "Name": "n", "From_Account": ADMIN}),
        (GROUP + "/get_appid_group_list", {"Limit": 10, "Next": 0, "GroupType": "Community"}),
        (MILLION + "/create_topic", {"GroupId": GID, "TopicName": "x", "CustomString": "c"}),
        (MILLION + "/get_topic", {"GroupId": GID, "From_Account": ADMIN, "TopicIdList": [TID],
                                  "ResponseFilter": ["TopicName"]}),
        (MILLION + "/modify_topic", {"GroupId": GID, "TopicId": TID, "MuteAllMember": "On"}),
        (GROUP + "/import_topic", {"Type": "Community", "GroupId": GID, "TopicName": "i", "CreateTime": 1000}),
        (MILLION + "/import_topic", {"GroupId": GID, "TopicName": "j"}),
        (MILLION + "/destroy_topic", {"GroupId": GID, "TopicIdList": [TID]}),
        (LOGIN + "/account_import", {"UserID": "alice", "Nick": "A"}),
        (LOGIN + "/account_check", {"CheckItem": [{"UserID": "alice"}]}),
        (GROUP + "/destroy_group", {"GroupId": GID}),
    ]


# a documented field of each command, sent as null (optional where the command has an optional one)
NULLABLE = {"create_group": "Introduction", "get_group_info": "ResponseFilter", "modify_group_base_info": "Name",
            "get_appid_group_list": "Limit", "create_topic": "CustomString", "get_topic": "TopicIdList",
            "modify_topic": "MuteAllMember", "import_topic": "CreateTime", "destroy_topic": "TopicIdList",
            "account_import": "Nick", "account_check": "CheckItem", "destroy_group": "GroupId"}

REQUIRED_ONLY = ("destroy_topic", "destroy_group", "account_check")   # commands without optional fields


def _setup(client):
    client.admin("POST", "reset")
    client.community(GID)
    client.topic("create_topic", {"GroupId": GID, "TopicName": "t", "TopicId": TID})
    client.admin("POST", "reset_stats")


@pytest.fixture
def strict_client(make_emu):
    c = make_emu(strict=True, command_rate_limits={GROUP + "/get_appid_group_list": 0}).client()
    return c


def test_documented_bodies_pass_in_strict_mode(strict_client):
    _setup(strict_client)
    for path, body in _valid_bodies():
        out = strict_client.call(path, body)
        assert out["ErrorCode"] == 0, (path, out)
    assert strict_client.admin("GET", "stats")["strict_refusals"] == {}


@pytest.mark.parametrize("path,body", _valid_bodies(), ids=lambda v: v if isinstance(v, str) else "")
def test_unknown_field_and_null_are_refused(strict_client, path, body):
    _setup(strict_client)
    before = strict_client.admin("GET", "state")
    code = 70402 if path.startswith(LOGIN) else 10004
    out = strict_client.call(path, dict(body, Bogus_Field=1))
    assert out["ErrorCode"] == code and "Bogus_Field" in out["ErrorInfo"] and "unknown" in out["ErrorInfo"], out
    field = NULLABLE[path.rsplit("/", 1)[1]]
    out = strict_client.call(path, dict(body, **{field: None}))
    assert out["ErrorCode"] == code and field in out["ErrorInfo"] and "null" in out["ErrorInfo"], out
    assert strict_client.admin("GET", "state") == before        # nothing written
    stats = strict_client.admin("GET", "stats")
    assert stats["writes"].get(path, 0) == 0
    assert stats["strict_refusals"] == {path: 2}


def test_same_bodies_pass_without_strict(client):
    """Not strict (the default): an unknown field is ignored, null is "not given"."""
    for path, body in _valid_bodies():
        _setup(client)
        field = NULLABLE[path.rsplit("/", 1)[1]]
        out = client.call(path, dict(body, Bogus_Field=1))
        assert out["ErrorCode"] == 0, (path, out)
        if path.rsplit("/", 1)[1] not in REQUIRED_ONLY:   # a required field null = missing = invalid
            _setup(client)
            assert client.call(path, dict(body, **{field: None}))["ErrorCode"] == 0, (path, field)


@pytest.mark.parametrize("path,body,name", [
    (GROUP + "/create_group", {"Type": "Community", "Name": "c", "MaxMemberNum": 10}, "MaxMemberNum"),
    (GROUP + "/create_group", {"Type": "Community", "Name": "c", "AppMemberDefinedData": []}, "AppMemberDefinedData"),
    (GROUP + "/create_group", {"Type": "Public", "Name": "c", "MemberList": [{"Member_Account": "a", "Nick": "x"}]},
     "MemberList[0].Nick"),
    (GROUP + "/create_group", {"Type": "Public", "Name": "c", "AppDefinedData": [{"Key": "k", "Value": None}]},
     "AppDefinedData[0].Value"),
    (GROUP + "/modify_group_base_info", {"GroupId": GID, "SupportTopic": 0}, "SupportTopic"),
    (GROUP + "/get_group_info", {"GroupIdList": [GID], "ResponseFilter": {"SelfInfoFilter": ["Role"]}},
     "ResponseFilter.SelfInfoFilter"),
    (GROUP + "/get_group_info", {"GroupIdList": [GID, None]}, "GroupIdList[1]"),
    (MILLION + "/create_topic", {"GroupId": GID, "TopicName": "m", "MuteAllMember": "On"}, "MuteAllMember"),
    (MILLION + "/get_topic", {"GroupId": GID, "From_Account": ADMIN, "TopicIdList": [None]}, "TopicIdList[0]"),
    (LOGIN + "/account_check", {"CheckItem": [{"UserID": "a", "Tag": 1}]}, "CheckItem[0].Tag"),
])
def test_strict_names_nested_fields(strict_client, path, body, name):
    _setup(strict_client)
    out = strict_client.call(path, body)
    assert out["ErrorCode"] == (70402 if path.startswith(LOGIN) else 10004), out
    assert name in out["ErrorInfo"], out


def test_strict_is_a_runtime_option(client):
    assert client.admin("GET", "config")["strict"] is False
    client.community(GID)
    body = {"GroupId": GID, "TopicName": "m", "MuteAllMember": "On"}
    assert client.topic("create_topic", body)["ErrorCode"] == 0
    assert client.admin("POST", "config", {"strict": True})["strict"] is True
    assert client.topic("create_topic", body)["ErrorCode"] == 10004


# --- fidelity: methods other than POST --------------------------------------------------------------
def _raw(emu, method, path, body=b""):
    parts = urllib.parse.urlsplit(emu.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Content-Length": str(len(body))})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
def test_other_methods_get_the_json_envelope(emu, method):
    path = "/v4/%s/create_group?sdkappid=1&identifier=a&usersig=x&random=1&contenttype=json" % GROUP
    expected = _raw(emu, "GET", path)
    status, ctype, body = _raw(emu, method, path, b'{"Type": "Public", "Name": "x"}')
    assert (status, ctype, body) == expected
    out = json.loads(body)
    assert status == 405 and ctype.startswith("application/json")
    assert out == {"ActionStatus": "FAIL", "ErrorCode": 60002, "ErrorInfo": out["ErrorInfo"]}
    assert emu.client().admin("GET", "state")["groups"] == []
    status, ctype, body = _raw(emu, method, "/elsewhere")
    assert status == 404 and ctype.startswith("application/json") and json.loads(body)


def test_head_gets_headers_only_and_keep_alive_survives(emu):
    parts = urllib.parse.urlsplit(emu.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request("HEAD", "/v4/%s/get_topic" % MILLION)
    resp = conn.getresponse()
    assert resp.status == 405 and resp.getheader("Content-Type").startswith("application/json")
    assert resp.read() == b""
    conn.request("GET", "/_emulator/health")     # same connection: the HEAD answer left no stray body
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["ok"] is True
    conn.close()


# --- fidelity: ASCII digits only in sdkappid and random ---------------------------------------------
@pytest.mark.parametrize("query,code", [
    ({"random": "\uff11\uff12\uff13"}, 60002),   # fullwidth digits
    ({"random": "\u0661\u0662"}, 60002),         # Arabic-Indic digits
    ({"random": "\u00b2"}, 60002),               # superscript two: isdigit() says True
    ({"sdkappid": "\uff11\uff14\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10"}, 60006),
])
def test_non_ascii_digits_are_refused(client, query, code):
    out = client.call(MILLION + "/get_topic", {"GroupId": GID, "From_Account": ADMIN}, query=query)
    assert out["ErrorCode"] == code, out


def test_ascii_random_still_accepted(client):
    for rnd in ("0", "4294967295", "007"):
        out = client.call(MILLION + "/get_topic", {"GroupId": GID, "From_Account": ADMIN}, query={"random": rnd})
        assert out["ErrorCode"] == 10010, (rnd, out)   # got past the URL checks to the command
    assert client.call(MILLION + "/get_topic", {}, query={"random": "4294967296"})["ErrorCode"] == 60002


def test_post_to_admin_only_paths_unchanged(emu):
    assert requests.get(emu.url + "/_emulator/health", timeout=5).json()["ok"] is True

"""Topic endpoints: happy paths, field limits, topic ID rules, quota, per-item errors."""

import pytest

from tests.unit.emulator._helpers import ADMIN, GROUP, MILLION

CJK = "\u8bdd"  # 3 bytes in UTF-8


def test_create_group_and_ids(client):
    gid = client.community()
    assert gid.startswith("@TGS#_@TGS#")
    assert client.community("@TGS#_my-community") == "@TGS#_my-community"
    out = client.call(GROUP + "/create_group", {"Type": "Community", "Name": "x", "GroupId": "@TGS#_my-community"})
    assert out["ErrorCode"] == 10021 and out["ActionStatus"] == "FAIL"
    out = client.call(GROUP + "/create_group", {"Type": "Community", "Name": "x", "GroupId": "nocommunityprefix"})
    assert out["ErrorCode"] == 10004
    out = client.call(GROUP + "/create_group", {"Type": "Community"})
    assert out["ErrorCode"] == 10004 and "Name" in out["ErrorInfo"]
    out = client.call(GROUP + "/create_group", {"Type": "Public", "Name": "pub"})
    assert out["ErrorCode"] == 0 and out["GroupId"].startswith("@TGS#")


def test_group_id_in_use_by_same_owner(client):
    body = {"Type": "Community", "Name": "x", "GroupId": "@TGS#_own", "Owner_Account": "bob"}
    assert client.call(GROUP + "/create_group", body)["ErrorCode"] == 0
    assert client.call(GROUP + "/create_group", body)["ErrorCode"] == 10025


def test_create_get_modify_destroy(client, gid):
    out = client.topic("create_topic", {"GroupId": gid, "TopicName": "General", "From_Account": "alice",
                                        "CustomString": "cs", "FaceUrl": "http://f", "Notification": "n",
                                        "Introduction": "i"})
    assert out == {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "TopicId": out["TopicId"]}
    tid = out["TopicId"]
    assert tid.startswith(gid + "@TOPIC#_@TOPIC#")

    got = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})
    assert got["ErrorCode"] == 0
    [item] = got["TopicAndSelfInfo"]
    assert item["ErrorCode"] == 0
    assert item["SelfInfo"] == {"ShutUpTime": 0, "MsgSeq": 0, "MsgFlag": "AcceptAndNotify"}
    info = item["TopicInfo"]
    assert set(info) == {"TopicName", "GroupID", "FaceUrl", "TopicId", "NextMsgSeq", "Notification",
                         "Introduction", "CreateTime", "LastMsgTime", "MuteAllMember", "CustomString"}
    assert info["TopicName"] == "General" and info["GroupID"] == gid and info["TopicId"] == tid
    assert info["MuteAllMember"] == "Off" and info["CustomString"] == "cs"

    out = client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "MuteAllMember": "On",
                                        "Notification": "", "TopicName": "Renamed"})
    assert out["ErrorCode"] == 0
    info = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["TopicAndSelfInfo"][0]["TopicInfo"]
    assert info["MuteAllMember"] == "On" and info["Notification"] == "" and info["TopicName"] == "Renamed"
    assert info["Introduction"] == "i" and info["FaceUrl"] == "http://f"  # untouched

    out = client.topic("destroy_topic", {"GroupId": gid, "TopicIdList": [tid, tid + "x"]})
    assert out["ErrorCode"] == 0
    assert out["DestroyResultItem"] == [
        {"ErrorCode": 0, "ErrorInfo": "ok", "TopicId": tid},
        {"ErrorCode": 110003, "ErrorInfo": out["DestroyResultItem"][1]["ErrorInfo"], "TopicId": tid + "x"},
    ]
    assert client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["TopicAndSelfInfo"] == []


def test_modify_counts_write_only_when_changed(emu, client, gid):
    tid = client.topic("create_topic", {"GroupId": gid, "TopicName": "a"})["TopicId"]
    client.admin("POST", "reset_stats")
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "TopicName": "a"})["ErrorCode"] == 0
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "TopicName": "b"})["ErrorCode"] == 0
    stats = client.admin("GET", "stats")
    assert stats["calls"][MILLION + "/modify_topic"] == 2
    assert stats["writes"][MILLION + "/modify_topic"] == 1


def test_modify_errors(client, gid):
    tid = client.topic("create_topic", {"GroupId": gid, "TopicName": "a"})["TopicId"]
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid + "nope", "TopicName": "b"})["ErrorCode"] == 10010
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "MuteAllMember": "yes"})["ErrorCode"] == 10004
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "TopicName": ""})["ErrorCode"] == 10004
    assert client.topic("modify_topic", {"GroupId": gid})["ErrorCode"] == 10004
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "FaceUrl": 5})["ErrorCode"] == 10004


def test_mute_not_settable_on_create(client, gid):
    tid = client.topic("create_topic", {"GroupId": gid, "TopicName": "m", "MuteAllMember": "On"})["TopicId"]
    info = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN,
                                      "TopicIdList": [tid]})["TopicAndSelfInfo"][0]["TopicInfo"]
    assert info["MuteAllMember"] == "Off"


@pytest.mark.parametrize("field,limit", [("TopicName", 30), ("CustomString", 3000), ("FaceUrl", 100),
                                         ("Notification", 300), ("Introduction", 240)])
def test_byte_limits(client, gid, field, limit):
    def body(value):
        b = {"GroupId": gid, "TopicName": "n"}
        b[field] = value
        return b
    # ASCII exactly at the limit / one over
    assert client.topic("create_topic", body("a" * limit))["ErrorCode"] == 0
    out = client.topic("create_topic", body("a" * (limit + 1)))
    assert out["ErrorCode"] == 10004 and field in out["ErrorInfo"]
    # multi-byte: limit counted in UTF-8 bytes, not characters
    fill = "a" * (limit % 3)
    at = CJK * (limit // 3) + fill
    assert len(at.encode()) == limit
    assert client.topic("create_topic", body(at))["ErrorCode"] == 0
    assert client.topic("create_topic", body(at + "a"))["ErrorCode"] == 10004
    assert client.topic("create_topic", body(CJK * (limit // 3 + 1)))["ErrorCode"] == 10004
    # same limits on modify and import
    tid = client.topic("create_topic", {"GroupId": gid, "TopicName": "x"})["TopicId"]
    mod = {"GroupId": gid, "TopicId": tid}
    mod[field] = at + "a"
    assert client.topic("modify_topic", mod)["ErrorCode"] == 10004
    mod[field] = at
    assert client.topic("modify_topic", mod)["ErrorCode"] == 0
    assert client.call(GROUP + "/import_topic", body(at + "a"))["ErrorCode"] == 10004


def test_required_fields_and_types(client, gid):
    assert client.topic("create_topic", {"GroupId": gid})["ErrorCode"] == 10004
    assert client.topic("create_topic", {"TopicName": "x"})["ErrorCode"] == 10004
    assert client.topic("create_topic", {"GroupId": gid, "TopicName": 12})["ErrorCode"] == 10004
    assert client.topic("get_topic", {"GroupId": gid})["ErrorCode"] == 10004  # From_Account required
    assert client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN, "TopicIdList": "x"})["ErrorCode"] == 10004
    assert client.topic("destroy_topic", {"GroupId": gid})["ErrorCode"] == 10004
    assert client.topic("destroy_topic", {"GroupId": gid, "TopicIdList": []})["ErrorCode"] == 10004


@pytest.mark.parametrize("custom,ok", [
    ("TestTopic", True),
    ("with space ~", True),
    ("", False),
    ("caf\u00e9", False),             # not ASCII
    ("tab\there", False),             # control char
    ("x@TGS#_y", False),
    ("x@TOPIC#_@TOPIC#y", False),
])
def test_custom_topic_id_rules(client, gid, custom, ok):
    out = client.topic("create_topic", {"GroupId": gid, "TopicName": "t", "TopicId": gid + "@TOPIC#_" + custom})
    assert (out["ErrorCode"] == 0) is ok, out
    if ok:
        assert out["TopicId"] == gid + "@TOPIC#_" + custom
    else:
        assert out["ErrorCode"] == 10004


def test_custom_topic_id_prefix_and_length(client):
    gid = client.community("@TGS#_g")
    base = gid + "@TOPIC#_"
    assert client.topic("create_topic", {"GroupId": gid, "TopicName": "t", "TopicId": "@TGS#_other@TOPIC#_x"})["ErrorCode"] == 10004
    assert client.topic("create_topic", {"GroupId": gid, "TopicName": "t", "TopicId": "plain"})["ErrorCode"] == 10004
    at = base + "a" * (96 - len(base))
    assert client.topic("create_topic", {"GroupId": gid, "TopicName": "t", "TopicId": at})["ErrorCode"] == 0
    assert client.topic("create_topic", {"GroupId": gid, "TopicName": "t", "TopicId": at + "b"})["ErrorCode"] == 10004
    out = client.topic("create_topic", {"GroupId": gid, "TopicName": "t2", "TopicId": at})
    assert out["ErrorCode"] == 10021


def test_group_errors(client):
    body = {"TopicName": "t", "From_Account": ADMIN, "TopicIdList": ["x"], "TopicId": "x"}
    for cmd in ("create_topic", "get_topic", "modify_topic", "destroy_topic", "import_topic"):
        b = dict(body, GroupId="@TGS#_missing")
        assert client.topic(cmd, b)["ErrorCode"] == 10010, cmd
        b = dict(body, GroupId="bad\x01id")
        assert client.topic(cmd, b)["ErrorCode"] == 10015, cmd
    no_topics = client.community(support_topic=0)
    public = client.call(GROUP + "/create_group", {"Type": "Public", "Name": "p"})["GroupId"]
    for g in (no_topics, public):
        assert client.topic("create_topic", {"GroupId": g, "TopicName": "t"})["ErrorCode"] == 11000
        assert client.topic("get_topic", {"GroupId": g, "From_Account": ADMIN})["ErrorCode"] == 11000


def test_topic_quota(make_emu):
    client = make_emu(rate_limit=0).client()
    gid = client.community()
    for i in range(200):
        assert client.topic("create_topic", {"GroupId": gid, "TopicName": "t%d" % i})["ErrorCode"] == 0
    out = client.topic("create_topic", {"GroupId": gid, "TopicName": "one too many"})
    assert out["ErrorCode"] == 10037
    assert client.call(GROUP + "/import_topic", {"GroupId": gid, "TopicName": "x"})["ErrorCode"] == 10037
    items = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["TopicAndSelfInfo"]
    assert [i["TopicInfo"]["TopicName"] for i in items] == ["t%d" % i for i in range(200)]  # creation order


def test_get_topic_per_item_errors_and_filter(client, gid):
    a = client.topic("create_topic", {"GroupId": gid, "TopicName": "a", "Introduction": "ia"})["TopicId"]
    b = client.topic("create_topic", {"GroupId": gid, "TopicName": "b"})["TopicId"]
    missing = gid + "@TOPIC#_missing"
    out = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN, "TopicIdList": [b, missing, a],
                                     "ResponseFilter": ["TopicName", "Introduction"]})
    assert out["ErrorCode"] == 0
    items = out["TopicAndSelfInfo"]
    assert [i["ErrorCode"] for i in items] == [0, 110003, 0]
    assert items[1]["TopicInfo"]["TopicId"] == missing
    assert items[2]["TopicInfo"] == {"TopicName": "a", "GroupID": gid, "TopicId": a, "Introduction": "ia"}
    # empty list = all topics
    out = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN, "TopicIdList": []})
    assert [i["TopicInfo"]["TopicId"] for i in out["TopicAndSelfInfo"]] == [a, b]


def test_import_topic_both_paths_keeps_create_time(emu, client, gid):
    for svc in (GROUP, MILLION):
        out = client.call(svc + "/import_topic", {"Type": "Community", "GroupId": gid, "TopicName": svc,
                                                  "CreateTime": 1448357837,
                                                  "TopicId": gid + "@TOPIC#_" + svc})
        assert out["ErrorCode"] == 0, out
        assert out["TopicId"] == gid + "@TOPIC#_" + svc
    out = client.call(GROUP + "/import_topic", {"GroupId": gid, "TopicName": "dup", "TopicId": gid + "@TOPIC#_" + GROUP})
    assert out["ErrorCode"] == 10021
    assert client.call(GROUP + "/import_topic", {"GroupId": gid, "TopicName": "x", "CreateTime": "yesterday"})["ErrorCode"] == 10004
    assert client.call(GROUP + "/import_topic", {"GroupId": gid, "TopicName": "x", "Type": "Public"})["ErrorCode"] == 10004
    infos = [i["TopicInfo"] for i in client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["TopicAndSelfInfo"]]
    assert [i["CreateTime"] for i in infos] == [1448357837, 1448357837]
    assert emu.app.callbacks.entries() == []


def test_unknown_command_and_service(client):
    out = client.call(MILLION + "/no_such_command", {})
    assert out["ErrorCode"] == 10003 and "no_such_command" in out["ErrorInfo"]
    assert client.call(GROUP + "/get_topic", {})["ErrorCode"] == 10003   # get_topic lives in million_group
    assert client.call("other_svc/create_topic", {})["ErrorCode"] == 60009


def test_bad_bodies(client):
    assert client.call(MILLION + "/get_topic", raw=b"")["ErrorCode"] == 10004
    assert client.call(MILLION + "/get_topic", raw=b"{not json")["ErrorCode"] == 60003
    assert client.call(MILLION + "/get_topic", raw=b"[1, 2]")["ErrorCode"] == 10004


def test_destroy_group(client, gid):
    assert client.call(GROUP + "/destroy_group", {"GroupId": gid})["ErrorCode"] == 0
    assert client.call(GROUP + "/destroy_group", {"GroupId": gid})["ErrorCode"] == 10010


def test_admin_state_and_reset(client, gid):
    client.topic("create_topic", {"GroupId": gid, "TopicName": "a", "From_Account": "alice"})
    state = client.admin("GET", "state")
    [g] = state["groups"]
    assert g["GroupId"] == gid and g["Topics"][0]["TopicName"] == "a"
    assert client.admin("POST", "reset") == {"ok": True}
    assert client.admin("GET", "state")["groups"] == []
    assert client.admin("GET", "stats")["calls"] == {}

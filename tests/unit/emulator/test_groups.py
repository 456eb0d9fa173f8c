"""Group commands: create_group's answer and checks, get_group_info (keys, filters, per-group errors,
limits), modify_group_base_info, app-defined data keys, destroy_group, get_appid_group_list (paging,
GroupType, its 1 call/s)."""

import json
import time

import pytest

from tests.unit.emulator._helpers import ADMIN, GROUP, LIST_GROUPS

CJK = "\u8bdd"  # 3 bytes in UTF-8
ENVELOPE = {"ActionStatus", "ErrorCode", "ErrorInfo"}
GROUP_KEYS = {"GroupId", "ErrorCode", "ErrorInfo", "Type", "Name", "Appid", "Introduction", "Notification",
              "FaceUrl", "Owner_Account", "CreateTime", "LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum",
              "MaxMemberNum", "ApplyJoinOption", "MuteAllMember", "AppDefinedData", "MemberList"}
MEMBER_KEYS = {"Member_Account", "Role", "JoinTime", "MsgSeq", "MsgFlag", "LastSendMsgTime", "MuteUntil",
               "AppMemberDefinedData"}
NO_LIST_LIMIT = {"command_rate_limits": {LIST_GROUPS: 0}}


@pytest.fixture
def keyed(make_emu):
    """An emulator whose console declares group keys Level, Region and member key Badge."""
    return make_emu(app_defined_keys=["Level", "Region"], app_member_defined_keys=["Badge"]).client()


# --- create_group ---------------------------------------------------------------------------------
def test_create_group_answers_the_documented_keys(client):
    out = client.group("create_group", {"Type": "Community", "Name": "c", "SupportTopic": 1})
    assert set(out) == ENVELOPE | {"GroupId", "HugeGroupFlag", "Type"}
    assert out["HugeGroupFlag"] == 0 and out["Type"] == "Community" and out["ErrorCode"] == 0
    out = client.group("create_group", {"Type": "Community", "Name": "no topics"})
    assert out["HugeGroupFlag"] == 0 and out["Type"] == "Community"
    for gtype in ("Public", "Private", "Work", "ChatRoom", "Meeting", "AVChatRoom"):
        out = client.group("create_group", {"Type": gtype, "Name": "g"})
        assert set(out) == ENVELOPE | {"GroupId"}, (gtype, out)
        assert out["GroupId"].startswith("@TGS#") and not out["GroupId"].startswith("@TGS#_")
    out = client.group("create_group", {"Type": "Public", "Name": "g", "GroupId": "MyFirstGroup"})
    assert out == {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "GroupId": "MyFirstGroup"}


@pytest.mark.parametrize("field,limit", [("Name", 30), ("Introduction", 240), ("Notification", 300),
                                         ("FaceUrl", 100)])
def test_create_group_byte_limits(client, field, limit):
    at = CJK * (limit // 3) + "a" * (limit % 3)
    body = {"Type": "Community", "Name": "n"}
    assert client.group("create_group", dict(body, **{field: at}))["ErrorCode"] == 0
    out = client.group("create_group", dict(body, **{field: at + "a"}))
    assert out["ErrorCode"] == 10004 and field in out["ErrorInfo"]


def test_create_group_checks(client):
    base = {"Type": "Community", "Name": "c"}
    for count, code in ((0, 10004), (100001, 10004), ("500", 10004), (True, 10004), (100000, 0)):
        assert client.group("create_group", dict(base, MaxMemberCount=count))["ErrorCode"] == code, count
    assert client.group("create_group", {"Type": "Public", "Name": "p", "MaxMemberCount": 2001})["ErrorCode"] == 10004
    assert client.group("create_group", {"Type": "AVChatRoom", "Name": "a", "MaxMemberCount": 10})["ErrorCode"] == 10004
    out = client.group("create_group", dict(base, ApplyJoinOption="FreeAccess"))
    assert out["ErrorCode"] == 10004 and "ApplyJoinOption" in out["ErrorInfo"]
    assert client.group("create_group", {"Type": "Public", "Name": "p", "ApplyJoinOption": "Maybe"})["ErrorCode"] == 10004
    assert client.group("create_group", dict(base, Owner_Account=42))["ErrorCode"] == 60015
    assert client.group("create_group", dict(base, Type="Club"))["ErrorCode"] == 10004
    assert client.group("create_group", dict(base, SupportTopic=2))["ErrorCode"] == 10004
    assert client.group("create_group", dict(base, Name=7))["ErrorCode"] == 10004


def test_create_group_profile_is_kept(client):
    gid = client.group("create_group", {"Type": "Public", "Name": "p", "Owner_Account": "leckie",
                                        "Introduction": "i", "Notification": "n", "FaceUrl": "http://f",
                                        "MaxMemberCount": 500, "ApplyJoinOption": "FreeAccess"})["GroupId"]
    info = client.group_info(gid)
    assert (info["Name"], info["Introduction"], info["Notification"], info["FaceUrl"]) == ("p", "i", "n", "http://f")
    assert info["Owner_Account"] == "leckie" and info["MaxMemberNum"] == 500
    assert info["ApplyJoinOption"] == "FreeAccess"


def test_create_group_member_list(client):
    members = [{"Member_Account": "bob", "Role": "Admin"}, {"Member_Account": "peter"}]
    gid = client.group("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "leckie",
                                        "MemberList": members})["GroupId"]
    info = client.group_info(gid)
    assert info["MemberNum"] == 3
    assert [(m["Member_Account"], m["Role"]) for m in info["MemberList"]] == [
        ("leckie", "Owner"), ("bob", "Admin"), ("peter", "Member")]
    base = {"Type": "Public", "Name": "p"}
    many = [{"Member_Account": "u%d" % i} for i in range(101)]
    assert client.group("create_group", dict(base, MemberList=many))["ErrorCode"] == 10005
    assert client.group("create_group", dict(base, MemberList=many[:100]))["ErrorCode"] == 0
    out = client.group("create_group", {"Type": "AVChatRoom", "Name": "a", "MemberList": many[:1]})
    assert out["ErrorCode"] == 10007
    assert client.group("create_group", dict(base, MemberList=[{"Member_Account": "x", "Role": "Owner"}]))["ErrorCode"] == 10004
    assert client.group("create_group", dict(base, MemberList=[{"Role": "Admin"}]))["ErrorCode"] == 10004
    assert client.group("create_group", dict(base, MemberList=[{"Member_Account": 5}]))["ErrorCode"] == 60015
    dup = [{"Member_Account": "x"}, {"Member_Account": "x"}]
    assert client.group("create_group", dict(base, MemberList=dup))["ErrorCode"] == 10004
    out = client.group("create_group", dict(base, Owner_Account="o", MaxMemberCount=2, MemberList=many[:2]))
    assert out["ErrorCode"] == 10038


# --- get_group_info -------------------------------------------------------------------------------
def test_get_group_info_keys_and_defaults(emu, client):
    t0 = int(time.time())
    gid = client.group("create_group", {"Type": "Community", "Name": "c", "SupportTopic": 1,
                                        "Owner_Account": "leckie"})["GroupId"]
    out = client.group("get_group_info", {"GroupIdList": [gid]})
    assert out["ErrorCode"] == 0 and out["ActionStatus"] == "OK" and set(out) == ENVELOPE | {"GroupInfo"}
    [info] = out["GroupInfo"]
    assert set(info) == GROUP_KEYS
    assert info["GroupId"] == gid and info["ErrorCode"] == 0 and info["Type"] == "Community"
    assert info["Appid"] == emu.app.sdkappid
    assert t0 <= info["CreateTime"] <= time.time() and info["LastInfoTime"] == info["CreateTime"]
    assert (info["Introduction"], info["Notification"], info["FaceUrl"]) == ("", "", "")
    assert info["MemberNum"] == 1 and info["MaxMemberNum"] == 100000
    assert info["ApplyJoinOption"] == "FreeAccess" and info["MuteAllMember"] == "Off"
    assert info["AppDefinedData"] == [] and info["NextMsgSeq"] == 1 and info["LastMsgTime"] == 0
    [owner] = info["MemberList"]
    assert set(owner) == MEMBER_KEYS
    assert owner["Member_Account"] == "leckie" and owner["Role"] == "Owner" and owner["MuteUntil"] == 0
    public = client.group("create_group", {"Type": "Public", "Name": "p"})["GroupId"]
    info = client.group_info(public)
    assert info["MaxMemberNum"] == 2000 and info["ApplyJoinOption"] == "NeedPermission"
    assert info["Owner_Account"] == "" and info["MemberNum"] == 0 and info["MemberList"] == []


def test_get_group_info_per_group_errors(client, gid):
    ids = [gid, "@TGS#_missing", "bad\x01id", "x" * 48, "MyFirstGroup"]
    out = client.group("get_group_info", {"GroupIdList": ids})
    assert out["ErrorCode"] == 0
    items = out["GroupInfo"]
    assert [i["GroupId"] for i in items] == ids
    assert [i["ErrorCode"] for i in items] == [0, 10010, 10015, 10015, 10010]
    assert all(set(i) == {"GroupId", "ErrorCode", "ErrorInfo"} and i["ErrorInfo"] for i in items[1:])


def test_get_group_info_request_limits(client, gid):
    ids = [gid] + ["@TGS#_none%d" % i for i in range(49)]
    assert len(client.group("get_group_info", {"GroupIdList": ids})["GroupInfo"]) == 50
    out = client.group("get_group_info", {"GroupIdList": ids + ["@TGS#_one_more"]})
    assert out["ErrorCode"] == 10004 and "50" in out["ErrorInfo"] and "GroupInfo" not in out
    for body in ({}, {"GroupIdList": []}, {"GroupIdList": gid}, {"GroupIdList": [1]},
                 {"GroupIdList": [gid], "ResponseFilter": ["Name"]},
                 {"GroupIdList": [gid], "ResponseFilter": {"GroupBaseInfoFilter": "Name"}}):
        assert client.group("get_group_info", body)["ErrorCode"] == 10004, body


def test_get_group_info_response_filter(keyed):
    c = keyed
    gid = c.group("create_group", {
        "Type": "Community", "Name": "c", "Introduction": "i", "Owner_Account": "leckie",
        "AppDefinedData": [{"Key": "Level", "Value": "3"}, {"Key": "Region", "Value": "eu"}],
        "MemberList": [{"Member_Account": "bob", "Role": "Admin",
                        "AppMemberDefinedData": [{"Key": "Badge", "Value": "gold"}]}]})["GroupId"]
    info = c.group_info(gid, ResponseFilter={"GroupBaseInfoFilter": ["Type", "Name", "Introduction", "InfoSeq"]})
    assert info == {"GroupId": gid, "ErrorCode": 0, "ErrorInfo": "", "Type": "Community", "Name": "c",
                    "Introduction": "i", "InfoSeq": info["InfoSeq"]}
    info = c.group_info(gid, ResponseFilter={"AppDefinedDataFilter_Group": ["Region"]})
    assert info["AppDefinedData"] == [{"Key": "Region", "Value": "eu"}] and "Name" not in info
    assert "MemberList" not in info
    info = c.group_info(gid, ResponseFilter={"MemberInfoFilter": ["Account", "Role"],
                                             "AppDefinedDataFilter_GroupMember": ["Badge"]})
    assert info["MemberList"] == [
        {"Member_Account": "leckie", "Role": "Owner", "AppMemberDefinedData": []},
        {"Member_Account": "bob", "Role": "Admin", "AppMemberDefinedData": [{"Key": "Badge", "Value": "gold"}]}]
    assert "AppDefinedData" not in info
    info = c.group_info(gid, ResponseFilter={"MemberInfoFilter": ["JoinTime"]})
    assert set(info["MemberList"][0]) == {"Member_Account", "JoinTime"}
    info = c.group_info(gid)
    assert info["AppDefinedData"] == [{"Key": "Level", "Value": "3"}, {"Key": "Region", "Value": "eu"}]
    for flt, name in (({"GroupBaseInfoFilter": ["SupportTopic"]}, "SupportTopic"),
                      ({"MemberInfoFilter": ["ShutUpUntil"]}, "ShutUpUntil"),
                      ({"AppDefinedDataFilter_Group": ["Undeclared"]}, "Undeclared"),
                      ({"AppDefinedDataFilter_GroupMember": ["Level"]}, "Level")):
        out = c.group("get_group_info", {"GroupIdList": [gid], "ResponseFilter": flt})
        assert out["ErrorCode"] == 10004 and name in out["ErrorInfo"], out


def test_get_group_info_answer_above_1mb_is_10018(make_emu):
    c = make_emu(app_member_defined_keys=["K1", "K2", "K3", "K4", "K5"]).client()
    data = [{"Key": "K%d" % i, "Value": "v" * 64} for i in range(1, 6)]
    members = [{"Member_Account": "member%03d" % i, "AppMemberDefinedData": data} for i in range(100)]
    gid = c.group("create_group", {"Type": "Public", "Name": "big", "MemberList": members})["GroupId"]
    assert len(c.group("get_group_info", {"GroupIdList": [gid] * 5})["GroupInfo"]) == 5
    out = c.group("get_group_info", {"GroupIdList": [gid] * 50})
    assert out["ErrorCode"] == 10018 and "GroupInfo" not in out


# --- modify_group_base_info -----------------------------------------------------------------------
def test_modify_changes_only_given_fields(client):
    gid = client.group("create_group", {"Type": "Community", "Name": "c", "Introduction": "i", "Notification": "n",
                                        "FaceUrl": "http://f"})["GroupId"]
    names = sorted(GROUP_KEYS - {"ErrorCode", "ErrorInfo", "AppDefinedData", "MemberList"}) + ["InfoSeq"]
    before = client.group_info(gid, ResponseFilter={"GroupBaseInfoFilter": names})
    client.admin("POST", "reset_stats")
    out = client.group("modify_group_base_info", {"GroupId": gid, "Name": "renamed", "Notification": ""})
    assert out == {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
    after = client.group_info(gid, ResponseFilter={"GroupBaseInfoFilter": names})
    assert set(after) == set(names) | {"ErrorCode", "ErrorInfo"}
    assert after["Name"] == "renamed" and after["Notification"] == ""
    assert after["InfoSeq"] == before["InfoSeq"] + 1 and after["LastInfoTime"] >= before["LastInfoTime"]
    for key in set(before) - {"Name", "Notification", "InfoSeq", "LastInfoTime"}:
        assert after[key] == before[key], key
    # the same values again: a call, not a write
    assert client.group("modify_group_base_info", {"GroupId": gid, "Name": "renamed"})["ErrorCode"] == 0
    stats = client.admin("GET", "stats")
    assert stats["calls"][GROUP + "/modify_group_base_info"] == 2
    assert stats["writes"][GROUP + "/modify_group_base_info"] == 1
    assert client.group_info(gid)["Introduction"] == "i"


@pytest.mark.parametrize("field,limit", [("Name", 30), ("Introduction", 240), ("Notification", 300),
                                         ("FaceUrl", 100)])
def test_modify_byte_limits(client, gid, field, limit):
    at = CJK * (limit // 3) + "a" * (limit % 3)
    assert client.group("modify_group_base_info", {"GroupId": gid, field: at})["ErrorCode"] == 0
    out = client.group("modify_group_base_info", {"GroupId": gid, field: at + "a"})
    assert out["ErrorCode"] == 10004 and field in out["ErrorInfo"]
    assert client.group_info(gid)[field] == at


def test_modify_values(client, gid):
    def modify(**fields):
        return client.group("modify_group_base_info", dict(fields, GroupId=gid))["ErrorCode"]
    assert modify(MuteAllMember="On") == 0 and client.group_info(gid)["MuteAllMember"] == "On"
    assert modify(MuteAllMember="Off") == 0 and client.group_info(gid)["MuteAllMember"] == "Off"
    assert modify(MuteAllMember="yes") == 10004
    assert modify(MaxMemberNum=100000) == 0 and client.group_info(gid)["MaxMemberNum"] == 100000
    assert modify(MaxMemberNum=500) == 0 and client.group_info(gid)["MaxMemberNum"] == 500
    for bad in (0, 100001, "500", 1.5):
        assert modify(MaxMemberNum=bad) == 10004, bad
    assert modify(ApplyJoinOption="FreeAccess") == 10004   # a community's joining mode cannot change
    assert modify(InviteJoinOption="FreeAccess") == 0
    assert modify(InviteJoinOption="Whatever") == 10004
    assert modify(Name="") == 10004
    assert modify(Introduction=5) == 10004
    public = client.group("create_group", {"Type": "Public", "Name": "p", "Owner_Account": "o",
                                           "MemberList": [{"Member_Account": "m"}]})["GroupId"]
    assert client.group("modify_group_base_info", {"GroupId": public, "ApplyJoinOption": "DisableApply"})["ErrorCode"] == 0
    assert client.group_info(public)["ApplyJoinOption"] == "DisableApply"
    assert client.group("modify_group_base_info", {"GroupId": public, "MaxMemberNum": 2001})["ErrorCode"] == 10004
    assert client.group("modify_group_base_info", {"GroupId": public, "MaxMemberNum": 1})["ErrorCode"] == 10004
    assert client.group("modify_group_base_info", {"GroupId": public, "MaxMemberNum": 2})["ErrorCode"] == 0


def test_modify_errors_and_operator(client):
    gid = client.group("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "owner",
                                        "MemberList": [{"Member_Account": "adm", "Role": "Admin"},
                                                       {"Member_Account": "plain"}]})["GroupId"]

    def modify(body):
        return client.group("modify_group_base_info", body)["ErrorCode"]
    assert modify({"GroupId": "@TGS#_missing", "Name": "x"}) == 10010
    assert modify({"GroupId": "bad\x01", "Name": "x"}) == 10015
    assert modify({"Name": "x"}) == 10004
    for account, code in (("owner", 0), ("adm", 0), (ADMIN, 0), ("plain", 10007), ("stranger", 10007)):
        assert modify({"GroupId": gid, "Name": account, "From_Account": account}) == code, account
    assert client.group_info(gid)["Name"] == ADMIN
    assert modify({"GroupId": gid, "Name": "x", "From_Account": 1}) == 60015


# --- app-defined data -----------------------------------------------------------------------------
def test_app_defined_data_keys_must_be_declared(keyed):
    c = keyed
    out = c.group("create_group", {"Type": "Community", "Name": "c",
                                   "AppDefinedData": [{"Key": "Nope", "Value": "1"}]})
    assert out["ErrorCode"] == 10004 and "Nope" in out["ErrorInfo"]
    assert c.admin("GET", "state")["groups"] == []
    gid = c.group("create_group", {"Type": "Community", "Name": "c",
                                   "AppDefinedData": [{"Key": "Level", "Value": "1"}]})["GroupId"]
    out = c.group("modify_group_base_info", {"GroupId": gid, "AppDefinedData": [{"Key": "Level", "Value": "2"},
                                                                                {"Key": "Other", "Value": "x"}]})
    assert out["ErrorCode"] == 10004 and "Other" in out["ErrorInfo"]
    assert c.group_info(gid)["AppDefinedData"] == [{"Key": "Level", "Value": "1"}]  # nothing applied

    def modify(*pairs):
        return c.group("modify_group_base_info", {"GroupId": gid, "AppDefinedData": [
            {"Key": k, "Value": v} for k, v in pairs]})["ErrorCode"]
    assert modify(("Level", "2"), ("Region", "eu")) == 0
    assert c.group_info(gid)["AppDefinedData"] == [{"Key": "Level", "Value": "2"}, {"Key": "Region", "Value": "eu"}]
    assert modify(("Level", "")) == 0                        # an empty value deletes the key
    assert c.group_info(gid)["AppDefinedData"] == [{"Key": "Region", "Value": "eu"}]
    assert modify(("Region", "v" * 512)) == 0
    assert modify(("Region", "v" * 513)) == 10004
    assert modify(("Region", "a"), ("Region", "b")) == 10004
    assert c.group("modify_group_base_info", {"GroupId": gid, "AppDefinedData": [{"Key": "Level"}]})["ErrorCode"] == 10004
    assert c.group("modify_group_base_info", {"GroupId": gid, "AppDefinedData": {"Level": "1"}})["ErrorCode"] == 10004


def test_no_declared_keys_refuses_every_key_until_configured(client, gid):
    body = {"GroupId": gid, "AppDefinedData": [{"Key": "Level", "Value": "1"}]}
    out = client.group("modify_group_base_info", body)
    assert out["ErrorCode"] == 10004 and "Level" in out["ErrorInfo"]
    member = {"Type": "Public", "Name": "p", "MemberList": [
        {"Member_Account": "m", "AppMemberDefinedData": [{"Key": "Badge", "Value": "x"}]}]}
    assert client.group("create_group", member)["ErrorCode"] == 10004
    cfg = client.admin("POST", "config", {"app_defined_keys": ["Level"], "app_member_defined_keys": ["Badge"]})
    assert cfg["app_defined_keys"] == ["Level"] and cfg["app_member_defined_keys"] == ["Badge"]
    assert client.group("modify_group_base_info", body)["ErrorCode"] == 0
    assert client.group("create_group", member)["ErrorCode"] == 0


@pytest.mark.parametrize("payload", [
    {"app_defined_keys": ["bad-key"]}, {"app_defined_keys": ["x" * 16]}, {"app_defined_keys": "Level"},
    {"app_defined_keys": ["K%d" % i for i in range(11)]}, {"app_member_defined_keys": ["K%d" % i for i in range(6)]},
    {"strict": "yes"}, {"require_accounts": 1}, {"command_rate_limits": {"nope/none": 1}},
    {"command_rate_limits": {LIST_GROUPS: -1}}, {"command_rate_limits": [1]},
])
def test_config_refuses_bad_new_options(emu, payload):
    c = emu.client()
    resp = c.session.post(emu.url + "/_emulator/config", data=json.dumps(payload))
    assert resp.status_code == 400, payload


# --- destroy_group --------------------------------------------------------------------------------
def test_destroy_group_removes_its_topics(client):
    gid = client.community("@TGS#_doomed")
    tid = client.topic("create_topic", {"GroupId": gid, "TopicName": "t"})["TopicId"]
    out = client.group("destroy_group", {"GroupId": gid})
    assert out == {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
    assert client.group("get_group_info", {"GroupIdList": [gid]})["GroupInfo"][0]["ErrorCode"] == 10010
    assert client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["ErrorCode"] == 10010
    assert client.topic("modify_topic", {"GroupId": gid, "TopicId": tid, "TopicName": "x"})["ErrorCode"] == 10010
    # the same id again is a new, empty community: the topic did not survive
    assert client.community("@TGS#_doomed") == gid
    assert client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["TopicAndSelfInfo"] == []
    state = client.admin("GET", "state")
    assert [g["Topics"] for g in state["groups"]] == [[]]
    assert client.group("destroy_group", {"GroupId": "@TGS#_never"})["ErrorCode"] == 10010
    assert client.group("destroy_group", {"GroupId": "bad\x01"})["ErrorCode"] == 10015
    assert client.group("destroy_group", {})["ErrorCode"] == 10004


# --- get_appid_group_list -------------------------------------------------------------------------
def _list(client, **body):
    out = client.call(LIST_GROUPS, body)
    assert out["ErrorCode"] == 0, out
    return out


def test_list_groups_paging_and_type(make_emu):
    c = make_emu(**NO_LIST_LIMIT).client()
    made = []
    for gtype in ("Community", "Public", "Community", "Work", "Private", "Community", "Meeting"):
        made.append(c.group("create_group", {"Type": gtype, "Name": "g"})["GroupId"])
    out = _list(c)
    assert set(out) == ENVELOPE | {"TotalCount", "GroupIdList", "Next"}
    assert out["TotalCount"] == 7 and out["Next"] == 0
    assert out["GroupIdList"] == [{"GroupId": g} for g in made]
    seen, nxt, pages = [], 0, 0
    while True:
        out = _list(c, Limit=2, Next=nxt)
        assert out["TotalCount"] == 7 and len(out["GroupIdList"]) <= 2
        seen += [g["GroupId"] for g in out["GroupIdList"]]
        pages += 1
        nxt = out["Next"]
        if nxt == 0:
            break
        assert nxt > 2 ** 32     # a 64-bit value (the page warns against reading it as 32-bit)
    assert seen == made and pages == 4
    out = _list(c, GroupType="Community", Limit=2)
    assert out["TotalCount"] == 3 and [g["GroupId"] for g in out["GroupIdList"]] == [made[0], made[2]]
    out = _list(c, GroupType="Community", Limit=2, Next=out["Next"])
    assert out["GroupIdList"] == [{"GroupId": made[5]}] and out["Next"] == 0
    assert [g["GroupId"] for g in _list(c, GroupType="Private")["GroupIdList"]] == [made[3], made[4]]
    assert [g["GroupId"] for g in _list(c, GroupType="ChatRoom")["GroupIdList"]] == [made[6]]
    out = _list(c, GroupType="AVChatRoom")
    assert (out["TotalCount"], out["GroupIdList"], out["Next"]) == (0, [], 0)
    # a group disbanded between two pages does not break the paging
    first = _list(c, Limit=3)
    c.group("destroy_group", {"GroupId": made[3]})
    rest = _list(c, Next=first["Next"])
    assert [g["GroupId"] for g in rest["GroupIdList"]] == [made[4], made[5], made[6]] and rest["TotalCount"] == 6


@pytest.mark.parametrize("body", [{"Limit": 0}, {"Limit": 10001}, {"Limit": "10"}, {"Limit": True},
                                  {"Next": -1}, {"Next": 2 ** 64}, {"Next": "0"}, {"GroupType": "Work"},
                                  {"GroupType": "community"}])
def test_list_groups_bad_fields(make_emu, body):
    out = make_emu(**NO_LIST_LIMIT).client().call(LIST_GROUPS, body)
    assert out["ErrorCode"] == 10004, out


def test_list_groups_limit_10000_is_accepted(make_emu):
    c = make_emu(**NO_LIST_LIMIT).client()
    assert _list(c, Limit=10000, Next=0)["Next"] == 0


def test_list_groups_one_call_per_second(make_emu):
    emu = make_emu(rate_limit=0)   # rate_limit is the default of commands without their own limit
    c = emu.client()
    gid = c.community()
    assert c.call(LIST_GROUPS, {})["ErrorCode"] == 0
    out = c.call(LIST_GROUPS, {})
    assert out["ErrorCode"] == 10006 and out["ActionStatus"] == "FAIL" and "GroupIdList" not in out
    assert c.group("get_group_info", {"GroupIdList": [gid]})["ErrorCode"] == 0   # other commands unaffected
    assert c.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["ErrorCode"] == 0
    assert c.admin("GET", "stats")["faults"]["throttled"] == 1
    time.sleep(1.05)
    assert c.call(LIST_GROUPS, {})["ErrorCode"] == 0
    cfg = c.admin("POST", "config", {"command_rate_limits": {LIST_GROUPS: 3}})
    assert cfg["command_rate_limits"] == {LIST_GROUPS: 3}
    time.sleep(1.05)
    assert [c.call(LIST_GROUPS, {})["ErrorCode"] for _call in range(4)] == [0, 0, 0, 10006]
    c.admin("POST", "config", {"command_rate_limits": {LIST_GROUPS: 0}})
    assert all(c.call(LIST_GROUPS, {})["ErrorCode"] == 0 for _call in range(5))


def test_topic_commands_keep_the_global_rate_limit(make_emu):
    c = make_emu(rate_limit=3).client()
    gid = c.community()
    codes = [c.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["ErrorCode"] for _call in range(4)]
    assert codes == [0, 0, 0, 60007]   # the REST-common code; 10006 is get_appid_group_list's

"""Permission-group commands (group_open_http_svc): fields, limits, permission bits, per-item results,
paging, Community only, strictness, clean-up with destroy_group / destroy_topic, persistence."""

import pytest
import requests

from tests.unit.emulator._helpers import GROUP, MILLION, InProcessEmulator

CJK = "\u8bdd"  # 3 bytes in UTF-8
ENVELOPE = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}


def call(client, command, body):
    return client.call("%s/%s" % (GROUP, command), body)


def create_pg(client, gid, pgid=None, name="pg", permission=0, **extra):
    body = {"GroupId": gid, "PermissionGroupName": name, "Permission": permission}
    if pgid is not None:
        body["PermissionGroupId"] = pgid
    body.update(extra)
    out = call(client, "create_permission_group", body)
    assert out["ErrorCode"] == 0, out
    return pgid if pgid is not None else out["PermissionGroupId"]


def get_pg(client, gid, pgid):
    out = call(client, "get_permission_group", {"GroupId": gid, "PermissionGroupIdList": [pgid]})
    assert out["ErrorCode"] == 0, out
    [item] = out["PermissionGroupInfoList"]
    return item


def get_all_pgs(client, gid, limit=20):
    items, nxt = [], ""
    while True:
        out = call(client, "get_permission_group", {"GroupId": gid, "Limit": limit, "Next": nxt})
        assert out["ErrorCode"] == 0, out
        items += out["PermissionGroupInfoList"]
        nxt = out["Next"]
        if nxt == "":
            return items


def topic(client, gid, name="t", topic_id=None):
    body = {"GroupId": gid, "TopicName": name}
    if topic_id:
        body["TopicId"] = topic_id
    out = client.topic("create_topic", body)
    assert out["ErrorCode"] == 0, out
    return out["TopicId"]


def members(*accounts):
    return [{"Member_Account": a} for a in accounts]


def writes(client, command):
    return client.admin("GET", "stats")["writes"].get("%s/%s" % (GROUP, command), 0)


@pytest.fixture
def pgid(client, gid):
    return create_pg(client, gid, "@PMG#_mods", name="Moderators", permission=3, CustomString="cs")


# --- create -------------------------------------------------------------------------------------
def test_create_server_assigned_id_is_returned(client, gid):
    out = call(client, "create_permission_group", {"GroupId": gid, "PermissionGroupName": "a", "Permission": 5})
    assert set(out) == {"ActionStatus", "ErrorCode", "ErrorInfo", "PermissionGroupId"}
    assert out["ActionStatus"] == "OK" and out["ErrorCode"] == 0
    first = out["PermissionGroupId"]
    assert first.startswith("@PMG#_@PMG#c") and len(first) > len("@PMG#_@PMG#c")
    second = create_pg(client, gid, name="a", permission=5)
    assert second != first
    item = get_pg(client, gid, first)
    assert item == {"ErrorCode": 0, "ErrorInfo": "", "PermissionGroupId": first, "PermissionGroupName": "a",
                    "CustomString": "", "Permission": 5, "MemberCount": 0}


def test_create_custom_id_is_not_echoed(client, gid):
    out = call(client, "create_permission_group", {"GroupId": gid, "PermissionGroupId": "@PMG#_custom",
                                                   "PermissionGroupName": "n", "Permission": 2047,
                                                   "CustomString": "c" * 3000})
    assert out == ENVELOPE
    item = get_pg(client, gid, "@PMG#_custom")
    assert item["PermissionGroupName"] == "n" and item["Permission"] == 2047 and item["CustomString"] == "c" * 3000


@pytest.mark.parametrize("pgid,ok", [
    ("@PMG#_test_permission_group", True),
    ("@PMG#_with space ~!", True),
    ("@PMG#_x", True),
    ("@PMG#_", False),                       # empty custom part
    ("test_permission_group", False),       # no @PMG#_ prefix
    ("@PMG#test", False),
    ("@PMG#_caf\u00e9", False),              # not ASCII
    ("@PMG#_tab\there", False),              # control character
    ("@PMG#_@PMG#cM2", False),               # the server-assigned form
    ("", False),
])
def test_custom_permission_group_id_rules(client, gid, pgid, ok):
    out = call(client, "create_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                                                   "PermissionGroupName": "n", "Permission": 0})
    if ok:
        assert out == ENVELOPE
        assert get_pg(client, gid, pgid)["PermissionGroupId"] == pgid
    else:
        assert out["ErrorCode"] == 10004 and "PermissionGroupId" in out["ErrorInfo"], out
        assert get_all_pgs(client, gid) == []


def test_custom_id_in_use(client, gid):
    create_pg(client, gid, "@PMG#_dup")
    out = call(client, "create_permission_group", {"GroupId": gid, "PermissionGroupId": "@PMG#_dup",
                                                   "PermissionGroupName": "other", "Permission": 1})
    assert out["ErrorCode"] == 10021 and out["ActionStatus"] == "FAIL"
    assert get_pg(client, gid, "@PMG#_dup")["PermissionGroupName"] == "pg"  # untouched
    # ids are per community
    other = client.community()
    assert create_pg(client, other, "@PMG#_dup") == "@PMG#_dup"


def test_twenty_permission_groups_per_community(client, gid):
    for i in range(20):
        create_pg(client, gid, name="g%d" % i)
    out = call(client, "create_permission_group", {"GroupId": gid, "PermissionGroupName": "g20", "Permission": 0})
    assert out["ErrorCode"] == 10004 and "20" in out["ErrorInfo"]
    assert len(get_all_pgs(client, gid)) == 20
    # another community has its own quota; destroying one frees a place
    create_pg(client, client.community())
    first = get_all_pgs(client, gid)[0]["PermissionGroupId"]
    call(client, "destroy_permission_group", {"GroupId": gid, "PermissionGroupIdList": [first]})
    create_pg(client, gid, name="g20")


def create_or_modify(client, command, gid, pgid, **fields):
    """create_permission_group (with the name and permission it requires, unless ``fields`` give them) or
    modify_permission_group of ``pgid``, sending ``fields``."""
    if command == "create_permission_group":
        body = dict({"PermissionGroupName": "n", "Permission": 0}, **fields)
    else:
        body = dict(fields, PermissionGroupId=pgid)
    return call(client, command, dict(body, GroupId=gid))


@pytest.mark.parametrize("key,limit,empty_code,wrong_type", [
    ("PermissionGroupName", 150, 10004, 7), ("CustomString", 3000, 0, ["x"])])
@pytest.mark.parametrize("command", ["create_permission_group", "modify_permission_group"])
def test_text_limits_in_bytes(client, gid, pgid, command, key, limit, empty_code, wrong_type):
    def run(value):
        return create_or_modify(client, command, gid, pgid, **{key: value})
    assert run("a" * limit)["ErrorCode"] == 0
    out = run("a" * (limit + 1))
    assert out["ErrorCode"] == 10004 and key in out["ErrorInfo"]
    assert run(CJK * (limit // 3))["ErrorCode"] == 0                # exactly limit bytes
    assert run(CJK * (limit // 3) + "a")["ErrorCode"] == 10004      # limit + 1 bytes, far fewer characters
    assert run("")["ErrorCode"] == empty_code
    assert run(wrong_type)["ErrorCode"] == 10004


@pytest.mark.parametrize("value,ok", [
    (0, True), (1, True), (5, True), (123, True), (1024, True), (2047, True),
    (2048, False), (4096, False), (2047 | (1 << 40), False), (1 << 63, False), ((1 << 64) - 1, False),
    (1 << 64, False), (-1, False), (True, False), (1.0, False), ("5", False),
])
@pytest.mark.parametrize("command", ["create_permission_group", "modify_permission_group"])
def test_community_permission_bits(client, gid, pgid, command, value, ok):
    out = create_or_modify(client, command, gid, pgid, Permission=value)
    if ok:
        assert out["ErrorCode"] == 0, out
        if command == "modify_permission_group":
            assert get_pg(client, gid, pgid)["Permission"] == value
    else:
        assert out["ErrorCode"] == 10004 and "Permission" in out["ErrorInfo"], out
        assert get_pg(client, gid, pgid)["Permission"] == 3


# --- strictness: unknown fields, nulls, required fields, types ---------------------------------
def _valid_bodies(gid, pgid, tid):
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    return {
        "create_permission_group": {"GroupId": gid, "PermissionGroupName": "n", "Permission": 1},
        "modify_permission_group": dict(base, PermissionGroupName="m"),
        "destroy_permission_group": {"GroupId": gid, "PermissionGroupIdList": [pgid]},
        "get_permission_group": {"GroupId": gid, "Limit": 20, "Next": ""},
        "add_topic_permission_group": dict(base, TopicPermissionList=[{"TopicId": tid, "Permission": 8}]),
        "set_topic_permission_group": dict(base, TopicPermissionList=[{"TopicId": tid, "Permission": 8}]),
        "delete_topic_permission_group": dict(base, TopicIdList=[tid]),
        "get_topic_permission_group": dict(base, TopicIdList=[tid]),
        "add_permission_group_member": dict(base, MemberList=members("a")),
        "delete_permission_group_member": dict(base, MemberList=members("a")),
        "get_permission_group_member_list": dict(base, Limit=10, Next=""),
    }


COMMANDS = sorted(_valid_bodies("g", "p", "t"))
REQUIRED = {
    "create_permission_group": ["GroupId", "PermissionGroupName", "Permission"],
    "modify_permission_group": ["GroupId", "PermissionGroupId"],
    "destroy_permission_group": ["GroupId", "PermissionGroupIdList"],
    "get_permission_group": ["GroupId"],
    "add_topic_permission_group": ["GroupId", "PermissionGroupId", "TopicPermissionList"],
    "set_topic_permission_group": ["GroupId", "PermissionGroupId", "TopicPermissionList"],
    "delete_topic_permission_group": ["GroupId", "PermissionGroupId", "TopicIdList"],
    "get_topic_permission_group": ["GroupId", "PermissionGroupId"],
    "add_permission_group_member": ["GroupId", "PermissionGroupId", "MemberList"],
    "delete_permission_group_member": ["GroupId", "PermissionGroupId", "MemberList"],
    "get_permission_group_member_list": ["GroupId", "PermissionGroupId"],
}


@pytest.fixture
def world(client, gid, pgid):
    tid = topic(client, gid)
    # an entry so that set/delete/get of the topic permission succeed with the valid bodies
    assert call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                "TopicPermissionList": [{"TopicId": tid, "Permission": 1}]})["ErrorCode"] == 0
    return gid, pgid, tid


@pytest.mark.parametrize("command", COMMANDS)
def test_valid_bodies_succeed(client, world, command):
    out = call(client, command, _valid_bodies(*world)[command])
    assert out["ErrorCode"] == 0 and out["ActionStatus"] == "OK", out


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_field_rejected(client, world, command):
    body = dict(_valid_bodies(*world)[command], EnablePermission=1)
    before = client.admin("GET", "state")
    out = call(client, command, body)
    assert out["ErrorCode"] == 10004 and out["ActionStatus"] == "FAIL"
    assert "EnablePermission" in out["ErrorInfo"]
    assert client.admin("GET", "state") == before


@pytest.mark.parametrize("command", COMMANDS)
def test_null_values_rejected(client, world, command):
    body = _valid_bodies(*world)[command]
    for key in body:
        out = call(client, command, dict(body, **{key: None}))
        assert out["ErrorCode"] == 10004 and key in out["ErrorInfo"] and "null" in out["ErrorInfo"], (key, out)


@pytest.mark.parametrize("command", COMMANDS)
def test_required_fields(client, world, command):
    body = _valid_bodies(*world)[command]
    for key in REQUIRED[command]:
        partial = dict((k, v) for k, v in body.items() if k != key)
        out = call(client, command, partial)
        assert out["ErrorCode"] == 10004 and key in out["ErrorInfo"], (key, out)


@pytest.mark.parametrize("command", COMMANDS)
def test_ids_must_be_strings(client, world, command):
    body = _valid_bodies(*world)[command]
    for key in ("GroupId", "PermissionGroupId"):
        if key in body:
            out = call(client, command, dict(body, **{key: 123}))
            assert out["ErrorCode"] == 10004 and key in out["ErrorInfo"], (key, out)


@pytest.mark.parametrize("command,key", [
    ("add_topic_permission_group", "TopicPermissionList"), ("set_topic_permission_group", "TopicPermissionList"),
    ("add_permission_group_member", "MemberList"), ("delete_permission_group_member", "MemberList")])
def test_item_fields_are_strict(client, world, command, key):
    gid, pgid, tid = world
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    good = {"TopicId": tid, "Permission": 8} if key == "TopicPermissionList" else {"Member_Account": "a"}
    for item, word in [(dict(good, Role="Admin"), "Role"),
                       (dict((k, None) if k == list(good)[0] else (k, v) for k, v in good.items()),
                        list(good)[0]),
                       ({}, list(good)[0]),
                       ("a", key)]:
        out = call(client, command, dict(base, **{key: [good, item]}))
        assert out["ErrorCode"] == 10004 and word in out["ErrorInfo"], (item, out)
        assert "[1]" in out["ErrorInfo"], out
    for bad in ([], "x", {"TopicId": tid}):
        out = call(client, command, dict(base, **{key: bad}))
        assert out["ErrorCode"] == 10004 and key in out["ErrorInfo"], (bad, out)


# --- group checks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("gtype", ["Public", "Private", "ChatRoom", "Work", "Meeting", "AVChatRoom"])
@pytest.mark.parametrize("command", COMMANDS)
def test_community_only(client, command, gtype):
    out = client.call(GROUP + "/create_group", {"Type": gtype, "Name": "g"})
    assert out["ErrorCode"] == 0
    gid = out["GroupId"]
    out = call(client, command, _valid_bodies(gid, "@PMG#_p", gid + "@TOPIC#_t")[command])
    assert out["ErrorCode"] == 10004 and "Community" in out["ErrorInfo"], out
    assert client.admin("GET", "state")["permission_groups"] == {}


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_group_and_bad_group_id(client, command):
    out = call(client, command, _valid_bodies("@TGS#_nope", "@PMG#_p", "@TGS#_nope@TOPIC#_t")[command])
    assert out["ErrorCode"] == 10010, out
    out = call(client, command, _valid_bodies("nope", "@PMG#_p", "nope@TOPIC#_t")[command])
    assert out["ErrorCode"] == 10015, out


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in
                                     ("create_permission_group", "destroy_permission_group", "get_permission_group")])
def test_missing_permission_group(client, world, command):
    gid, _pgid, tid = world
    out = call(client, command, _valid_bodies(gid, "@PMG#_nope", tid)[command])
    assert out["ErrorCode"] == 10010 and "@PMG#_nope" in out["ErrorInfo"], out


def test_community_without_topics(client):
    gid = client.community(support_topic=0)
    pgid = create_pg(client, gid, "@PMG#_p", permission=2047)
    out = call(client, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": pgid,
                                                       "MemberList": members("a")})
    assert out["ErrorCode"] == 0
    for command in ("add_topic_permission_group", "set_topic_permission_group", "delete_topic_permission_group",
                    "get_topic_permission_group"):
        out = call(client, command, _valid_bodies(gid, pgid, gid + "@TOPIC#_t")[command])
        assert out["ErrorCode"] == 11000, (command, out)


def test_non_admin_identifier_rejected(emu, gid):
    other = emu.client(identifier="bob")
    out = call(other, "get_permission_group", {"GroupId": gid, "Limit": 20})
    assert out["ErrorCode"] == 60010


def test_unknown_command_in_group_service(client):
    assert call(client, "modify_topic_permission_group", {})["ErrorCode"] == 10003
    assert client.call(MILLION + "/create_permission_group", {})["ErrorCode"] == 10003


# --- modify ---------------------------------------------------------------------------------------
def test_modify_changes_only_given_fields(client, gid, pgid):
    out = call(client, "modify_permission_group", {"GroupId": gid, "PermissionGroupId": pgid, "Permission": 64})
    assert out == ENVELOPE
    item = get_pg(client, gid, pgid)
    assert (item["PermissionGroupName"], item["Permission"], item["CustomString"]) == ("Moderators", 64, "cs")
    out = call(client, "modify_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                                                   "PermissionGroupName": "Mods", "CustomString": ""})
    assert out == ENVELOPE
    item = get_pg(client, gid, pgid)
    assert (item["PermissionGroupName"], item["Permission"], item["CustomString"]) == ("Mods", 64, "")


def test_modify_without_change_is_not_a_write(client, gid, pgid):
    client.admin("POST", "reset_stats")
    same = {"GroupId": gid, "PermissionGroupId": pgid, "PermissionGroupName": "Moderators", "Permission": 3,
            "CustomString": "cs"}
    assert call(client, "modify_permission_group", same) == ENVELOPE
    assert call(client, "modify_permission_group", {"GroupId": gid, "PermissionGroupId": pgid}) == ENVELOPE
    assert writes(client, "modify_permission_group") == 0
    assert call(client, "modify_permission_group", dict(same, Permission=7)) == ENVELOPE
    assert writes(client, "modify_permission_group") == 1
    assert client.admin("GET", "stats")["calls"][GROUP + "/modify_permission_group"] == 3


# --- destroy --------------------------------------------------------------------------------------
def test_destroy_per_item_results(client, gid, pgid):
    other = create_pg(client, gid)
    out = call(client, "destroy_permission_group", {"GroupId": gid,
                                                    "PermissionGroupIdList": [other, "@PMG#_nope", pgid, pgid]})
    assert out["ErrorCode"] == 0 and out["ActionStatus"] == "OK"
    results = out["PermissionGroupResultList"]
    assert [(r["PermissionGroupId"], r["ErrorCode"]) for r in results] == [
        (other, 0), ("@PMG#_nope", 10010), (pgid, 0), (pgid, 10010)]
    assert results[0] == {"ErrorCode": 0, "ErrorInfo": "", "PermissionGroupId": other}
    assert results[1]["ErrorInfo"]
    assert get_all_pgs(client, gid) == []
    assert writes(client, "destroy_permission_group") == 1
    out = call(client, "destroy_permission_group", {"GroupId": gid, "PermissionGroupIdList": [pgid]})
    assert out["PermissionGroupResultList"][0]["ErrorCode"] == 10010
    assert writes(client, "destroy_permission_group") == 1   # nothing destroyed: no write


def test_destroy_at_most_20_per_call(client, gid):
    ids = ["@PMG#_%d" % i for i in range(21)]
    out = call(client, "destroy_permission_group", {"GroupId": gid, "PermissionGroupIdList": ids})
    assert out["ErrorCode"] == 10004 and "20" in out["ErrorInfo"]
    out = call(client, "destroy_permission_group", {"GroupId": gid, "PermissionGroupIdList": ids[:20]})
    assert out["ErrorCode"] == 0 and len(out["PermissionGroupResultList"]) == 20
    for bad in ([], [1], "@PMG#_1", [""]):
        assert call(client, "destroy_permission_group",
                    {"GroupId": gid, "PermissionGroupIdList": bad})["ErrorCode"] == 10004, bad


def test_destroy_takes_members_and_topic_permissions_along(client, gid, pgid):
    tid = topic(client, gid)
    call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                                                "TopicPermissionList": [{"TopicId": tid, "Permission": 8}]})
    call(client, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": pgid,
                                                 "MemberList": members("a", "b")})
    assert get_pg(client, gid, pgid)["MemberCount"] == 2
    call(client, "destroy_permission_group", {"GroupId": gid, "PermissionGroupIdList": [pgid]})
    create_pg(client, gid, pgid)   # same id again: a new, empty permission group
    assert get_pg(client, gid, pgid)["MemberCount"] == 0
    out = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid})
    assert out["TopicPermissionResultList"] == []


# --- get ------------------------------------------------------------------------------------------
def test_get_specified_per_item(client, gid, pgid):
    other = create_pg(client, gid, name="Other", permission=2047)
    out = call(client, "get_permission_group", {"GroupId": gid,
                                                "PermissionGroupIdList": [other, "@PMG#_nope", pgid]})
    assert out["ErrorCode"] == 0 and "Next" not in out
    items = out["PermissionGroupInfoList"]
    assert [(i["PermissionGroupId"], i["ErrorCode"]) for i in items] == [
        (other, 0), ("@PMG#_nope", 10010), (pgid, 0)]
    assert items[2] == {"ErrorCode": 0, "ErrorInfo": "", "PermissionGroupId": pgid,
                        "PermissionGroupName": "Moderators", "CustomString": "cs", "Permission": 3,
                        "MemberCount": 0}
    assert set(items[1]) == {"ErrorCode", "ErrorInfo", "PermissionGroupId"}


def test_get_forms_and_limits(client, gid, pgid):
    base = {"GroupId": gid}
    # listing all needs Limit 1..20
    assert call(client, "get_permission_group", base)["ErrorCode"] == 10004
    assert call(client, "get_permission_group", dict(base, PermissionGroupIdList=[]))["ErrorCode"] == 10004
    for limit in (0, 21, -1, "5", 2.0):
        out = call(client, "get_permission_group", dict(base, Limit=limit))
        assert out["ErrorCode"] == 10004 and "Limit" in out["ErrorInfo"], limit
    out = call(client, "get_permission_group", dict(base, Limit=20))
    assert out["ErrorCode"] == 0 and out["Next"] == ""
    assert [i["PermissionGroupId"] for i in out["PermissionGroupInfoList"]] == [pgid]
    out = call(client, "get_permission_group", dict(base, PermissionGroupIdList=[], Limit=20, Next=""))
    assert out["ErrorCode"] == 0 and len(out["PermissionGroupInfoList"]) == 1
    # the two forms are not mixed
    for extra in ({"Limit": 20}, {"Next": ""}):
        out = call(client, "get_permission_group", dict(base, PermissionGroupIdList=[pgid], **extra))
        assert out["ErrorCode"] == 10004, extra
    # at most 20 ids per call
    out = call(client, "get_permission_group", dict(base, PermissionGroupIdList=[pgid] * 21))
    assert out["ErrorCode"] == 10004 and "PermissionGroupIdList" in out["ErrorInfo"]
    assert call(client, "get_permission_group", dict(base, PermissionGroupIdList=[pgid] * 20))["ErrorCode"] == 0
    # Next is a string cursor
    for bad in (0, "garbage", "bWVtYmVyOjE="):   # the last one is a member-list cursor
        out = call(client, "get_permission_group", dict(base, Limit=5, Next=bad))
        assert out["ErrorCode"] == 10004 and "Next" in out["ErrorInfo"], bad


def test_get_pages_in_creation_order(client, gid):
    ids = [create_pg(client, gid, name="g%02d" % i, permission=i) for i in range(17)]
    pages, nxt = [], ""
    while True:
        out = call(client, "get_permission_group", {"GroupId": gid, "Limit": 6, "Next": nxt})
        assert out["ErrorCode"] == 0
        pages.append([i["PermissionGroupId"] for i in out["PermissionGroupInfoList"]])
        nxt = out["Next"]
        assert isinstance(nxt, str)
        if not nxt:
            break
    assert [len(p) for p in pages] == [6, 6, 5]
    assert sum(pages, []) == ids
    # exactly one full page: Next is "" (no empty last page)
    out = call(client, "get_permission_group", {"GroupId": client.community(), "Limit": 6})
    assert out["PermissionGroupInfoList"] == [] and out["Next"] == ""


def test_get_paging_survives_deletion_between_pages(client, gid):
    ids = [create_pg(client, gid, name="g%d" % i) for i in range(6)]
    out = call(client, "get_permission_group", {"GroupId": gid, "Limit": 3})
    assert [i["PermissionGroupId"] for i in out["PermissionGroupInfoList"]] == ids[:3]
    call(client, "destroy_permission_group", {"GroupId": gid, "PermissionGroupIdList": [ids[2], ids[3]]})
    out = call(client, "get_permission_group", {"GroupId": gid, "Limit": 3, "Next": out["Next"]})
    assert [i["PermissionGroupId"] for i in out["PermissionGroupInfoList"]] == ids[4:]
    assert out["Next"] == ""


# --- topic permissions ----------------------------------------------------------------------------
def test_add_topic_permissions_per_item(client, gid, pgid):
    t1, t2 = topic(client, gid, "a"), topic(client, gid, "b")
    foreign = topic(client, client.community(), "x")
    body = {"GroupId": gid, "PermissionGroupId": pgid, "TopicPermissionList": [
        {"TopicId": t1, "Permission": 8}, {"TopicId": gid + "@TOPIC#_nope", "Permission": 8},
        {"Permission": 127, "TopicId": t2}, {"TopicId": t1, "Permission": 4}, {"TopicId": foreign, "Permission": 1}]}
    out = call(client, "add_topic_permission_group", body)
    assert out["ErrorCode"] == 0 and out["ActionStatus"] == "OK"
    results = out["TopicPermissionResultList"]
    assert [(r["TopicId"], r["ErrorCode"]) for r in results] == [
        (t1, 0), (gid + "@TOPIC#_nope", 110003), (t2, 0), (t1, 10004), (foreign, 110003)]
    assert results[0] == {"ErrorCode": 0, "ErrorInfo": "", "TopicId": t1}
    assert "set_topic_permission_group" in results[3]["ErrorInfo"]
    out = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid})
    assert out["TopicPermissionResultList"] == [
        {"ErrorCode": 0, "ErrorInfo": "", "TopicId": t1, "Permission": 8},
        {"ErrorCode": 0, "ErrorInfo": "", "TopicId": t2, "Permission": 127}]
    assert writes(client, "add_topic_permission_group") == 1
    # all items failing: no write
    out = call(client, "add_topic_permission_group", dict(body, TopicPermissionList=[{"TopicId": t1, "Permission": 1}]))
    assert out["TopicPermissionResultList"][0]["ErrorCode"] == 10004
    assert writes(client, "add_topic_permission_group") == 1


@pytest.mark.parametrize("value,ok", [(0, True), (1, True), (64, True), (127, True), (128, False), (1234, False),
                                      (123456, False), (-1, False), (1 << 64, False), (False, False), ("8", False)])
@pytest.mark.parametrize("command", ["add_topic_permission_group", "set_topic_permission_group"])
def test_topic_permission_bits(client, gid, pgid, command, value, ok):
    tid = topic(client, gid)
    if command == "set_topic_permission_group":
        call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
             "TopicPermissionList": [{"TopicId": tid, "Permission": 2}]})
    out = call(client, command, {"GroupId": gid, "PermissionGroupId": pgid,
                                 "TopicPermissionList": [{"TopicId": tid, "Permission": value}]})
    if ok:
        assert out["ErrorCode"] == 0 and out["TopicPermissionResultList"][0]["ErrorCode"] == 0
    else:
        assert out["ErrorCode"] == 10004 and "TopicPermissionList[0].Permission" in out["ErrorInfo"], out
    got = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid})
    expected = value if ok else (2 if command == "set_topic_permission_group" else None)
    assert [i["Permission"] for i in got["TopicPermissionResultList"]] == ([expected] if expected is not None else [])


@pytest.mark.parametrize("command", ["add_topic_permission_group", "set_topic_permission_group",
                                     "delete_topic_permission_group"])
def test_at_most_50_topics_per_call(client, gid, pgid, command):
    tids = [topic(client, gid, "t%d" % i, gid + "@TOPIC#_t%d" % i) for i in range(51)]
    if command != "add_topic_permission_group":
        for chunk in (tids[:50], tids[50:]):
            out = call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                       "TopicPermissionList": [{"TopicId": t, "Permission": 8} for t in chunk]})
            assert all(r["ErrorCode"] == 0 for r in out["TopicPermissionResultList"])
    key = "TopicIdList" if command == "delete_topic_permission_group" else "TopicPermissionList"

    def items(ids):
        return list(ids) if key == "TopicIdList" else [{"TopicId": t, "Permission": 16} for t in ids]
    out = call(client, command, {"GroupId": gid, "PermissionGroupId": pgid, key: items(tids)})
    assert out["ErrorCode"] == 10004 and key in out["ErrorInfo"] and "50" in out["ErrorInfo"]
    out = call(client, command, {"GroupId": gid, "PermissionGroupId": pgid, key: items(tids[:50])})
    assert out["ErrorCode"] == 0
    assert [r["ErrorCode"] for r in out["TopicPermissionResultList"]] == [0] * 50


def test_set_topic_permissions(client, gid, pgid):
    t1, t2 = topic(client, gid, "a"), topic(client, gid, "b")
    call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                                                "TopicPermissionList": [{"TopicId": t1, "Permission": 8}]})
    client.admin("POST", "reset_stats")
    body = {"GroupId": gid, "PermissionGroupId": pgid, "TopicPermissionList": [
        {"TopicId": t1, "Permission": 8}, {"TopicId": t2, "Permission": 8},
        {"TopicId": gid + "@TOPIC#_x", "Permission": 8}]}
    out = call(client, "set_topic_permission_group", body)
    assert out["ErrorCode"] == 0
    results = out["TopicPermissionResultList"]
    assert [(r["TopicId"], r["ErrorCode"]) for r in results] == [(t1, 0), (t2, 10004), (gid + "@TOPIC#_x", 110003)]
    assert "add_topic_permission_group" in results[1]["ErrorInfo"]
    assert writes(client, "set_topic_permission_group") == 0    # t1 unchanged, set does not create t2
    out = call(client, "set_topic_permission_group", dict(body, TopicPermissionList=[{"TopicId": t1, "Permission": 5}]))
    assert out["TopicPermissionResultList"] == [{"ErrorCode": 0, "ErrorInfo": "", "TopicId": t1}]
    assert writes(client, "set_topic_permission_group") == 1
    got = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid})
    assert [(i["TopicId"], i["Permission"]) for i in got["TopicPermissionResultList"]] == [(t1, 5)]


def test_delete_topic_permissions(client, gid, pgid):
    t1, t2 = topic(client, gid, "a"), topic(client, gid, "b")
    call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid,
                                                "TopicPermissionList": [{"TopicId": t1, "Permission": 8}]})
    body = {"GroupId": gid, "PermissionGroupId": pgid, "TopicIdList": [t1, t2, gid + "@TOPIC#_x", t1]}
    out = call(client, "delete_topic_permission_group", body)
    assert out["ErrorCode"] == 0
    results = out["TopicPermissionResultList"]
    assert [(r["TopicId"], r["ErrorCode"]) for r in results] == [
        (t1, 0), (t2, 10004), (gid + "@TOPIC#_x", 110003), (t1, 10004)]
    assert results[0] == {"ErrorCode": 0, "ErrorInfo": "", "TopicId": t1}
    assert writes(client, "delete_topic_permission_group") == 1
    out = call(client, "delete_topic_permission_group", dict(body, TopicIdList=[t1]))
    assert out["TopicPermissionResultList"][0]["ErrorCode"] == 10004
    assert writes(client, "delete_topic_permission_group") == 1
    for bad in ([], [5], "x", [""]):
        assert call(client, "delete_topic_permission_group", dict(body, TopicIdList=bad))["ErrorCode"] == 10004


def test_get_topic_permissions(client, gid, pgid):
    t1, t2, t3 = topic(client, gid, "a"), topic(client, gid, "b"), topic(client, gid, "c")
    call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid, "TopicPermissionList": [
        {"TopicId": t3, "Permission": 1}, {"TopicId": t1, "Permission": 2}]})
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    everything = [{"ErrorCode": 0, "ErrorInfo": "", "TopicId": t3, "Permission": 1},
                  {"ErrorCode": 0, "ErrorInfo": "", "TopicId": t1, "Permission": 2}]
    assert call(client, "get_topic_permission_group", base)["TopicPermissionResultList"] == everything
    out = call(client, "get_topic_permission_group", dict(base, TopicIdList=[]))
    assert out["TopicPermissionResultList"] == everything
    out = call(client, "get_topic_permission_group", dict(base, TopicIdList=[t1, t2, gid + "@TOPIC#_x"]))
    items = out["TopicPermissionResultList"]
    assert items[0] == {"ErrorCode": 0, "ErrorInfo": "", "TopicId": t1, "Permission": 2}
    assert (items[1]["TopicId"], items[1]["ErrorCode"]) == (t2, 10004) and "Permission" not in items[1]
    assert (items[2]["ErrorCode"], items[2]["TopicId"]) == (110003, gid + "@TOPIC#_x")
    assert call(client, "get_topic_permission_group", dict(base, TopicIdList=t1))["ErrorCode"] == 10004
    # permission groups are independent
    other = create_pg(client, gid)
    out = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": other})
    assert out["TopicPermissionResultList"] == []


# --- members --------------------------------------------------------------------------------------
def test_add_members_per_item(client, gid, pgid):
    out = call(client, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": pgid,
                                                       "MemberList": members("tommy", "jared", "tommy")})
    assert out == dict(ENVELOPE, MemberList=[{"Member_Account": "tommy", "Result": 0},
                                             {"Member_Account": "jared", "Result": 0},
                                             {"Member_Account": "tommy", "Result": 10013}])
    assert get_pg(client, gid, pgid)["MemberCount"] == 2
    assert writes(client, "add_permission_group_member") == 1
    out = call(client, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": pgid,
                                                       "MemberList": members("jared")})
    assert out["MemberList"] == [{"Member_Account": "jared", "Result": 10013}]
    assert writes(client, "add_permission_group_member") == 1
    # membership is per permission group
    other = create_pg(client, gid)
    out = call(client, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": other,
                                                       "MemberList": members("jared")})
    assert out["MemberList"] == [{"Member_Account": "jared", "Result": 0}]


def test_member_account_rules(client, gid, pgid):
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    assert call(client, "add_permission_group_member", dict(base, MemberList=members("u" * 32)))["ErrorCode"] == 0
    for bad in ("u" * 33, "", 42):
        out = call(client, "add_permission_group_member", dict(base, MemberList=members(bad)))
        assert out["ErrorCode"] == 10004 and "MemberList[0].Member_Account" in out["ErrorInfo"], bad
    assert get_pg(client, gid, pgid)["MemberCount"] == 1


@pytest.mark.parametrize("command", ["add_permission_group_member", "delete_permission_group_member"])
def test_at_most_100_members_per_call(client, gid, pgid, command):
    accounts = ["user%03d" % i for i in range(101)]
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    out = call(client, command, dict(base, MemberList=members(*accounts)))
    assert out["ErrorCode"] == 10004 and "MemberList" in out["ErrorInfo"] and "100" in out["ErrorInfo"]
    assert get_pg(client, gid, pgid)["MemberCount"] == 0
    out = call(client, command, dict(base, MemberList=members(*accounts[:100])))
    assert out["ErrorCode"] == 0
    assert get_pg(client, gid, pgid)["MemberCount"] == (100 if command == "add_permission_group_member" else 0)


def test_delete_members(client, gid, pgid):
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    call(client, "add_permission_group_member", dict(base, MemberList=members("a", "b", "c")))
    client.admin("POST", "reset_stats")
    out = call(client, "delete_permission_group_member", dict(base, MemberList=members("b", "zed")))
    assert out == ENVELOPE
    assert writes(client, "delete_permission_group_member") == 1
    out = call(client, "delete_permission_group_member", dict(base, MemberList=members("b", "zed")))
    assert out == ENVELOPE          # not in the permission group: still success
    assert writes(client, "delete_permission_group_member") == 1
    out = call(client, "get_permission_group_member_list", base)
    assert out["MemberList"] == [{"Member_Account": "a"}, {"Member_Account": "c"}]


def test_member_list_paging(client, gid, pgid):
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    accounts = ["m%02d" % i for i in range(45)]
    call(client, "add_permission_group_member", dict(base, MemberList=members(*accounts)))
    pages, nxt = [], ""
    while True:
        out = call(client, "get_permission_group_member_list", dict(base, Limit=20, Next=nxt))
        assert out["ErrorCode"] == 0 and set(out) == {"ActionStatus", "ErrorCode", "ErrorInfo", "Next", "MemberList"}
        pages.append([m["Member_Account"] for m in out["MemberList"]])
        nxt = out["Next"]
        if nxt == "":
            break
    assert [len(p) for p in pages] == [20, 20, 5]
    assert sum(pages, []) == accounts
    # a member removed between pages is not returned; the cursor still works
    first = call(client, "get_permission_group_member_list", dict(base, Limit=10))
    call(client, "delete_permission_group_member", dict(base, MemberList=members("m10", "m11")))
    second = call(client, "get_permission_group_member_list", dict(base, Limit=10, Next=first["Next"]))
    assert [m["Member_Account"] for m in second["MemberList"]] == accounts[12:22]


def test_member_list_default_page_and_limits(client, gid, pgid):
    base = {"GroupId": gid, "PermissionGroupId": pgid}
    accounts = ["m%02d" % i for i in range(60)]
    call(client, "add_permission_group_member", dict(base, MemberList=members(*accounts[:50])))
    out = call(client, "get_permission_group_member_list", base)
    assert len(out["MemberList"]) == 50 and out["Next"] == ""
    call(client, "add_permission_group_member", dict(base, MemberList=members(*accounts[50:])))
    out = call(client, "get_permission_group_member_list", base)      # no Limit: at most 50
    assert len(out["MemberList"]) == 50 and out["Next"] != ""
    rest = call(client, "get_permission_group_member_list", dict(base, Next=out["Next"]))
    assert [m["Member_Account"] for m in rest["MemberList"]] == accounts[50:] and rest["Next"] == ""
    assert call(client, "get_permission_group_member_list", dict(base, Limit=50))["ErrorCode"] == 0
    for bad in (51, 0, -1, "10", True):
        out = call(client, "get_permission_group_member_list", dict(base, Limit=bad))
        assert out["ErrorCode"] == 10004 and "Limit" in out["ErrorInfo"], bad
    for bad in (0, "nope", "cG1nOjE="):    # the last one is a get_permission_group cursor
        out = call(client, "get_permission_group_member_list", dict(base, Next=bad))
        assert out["ErrorCode"] == 10004 and "Next" in out["ErrorInfo"], bad
    empty = create_pg(client, gid)
    out = call(client, "get_permission_group_member_list", {"GroupId": gid, "PermissionGroupId": empty})
    assert out == dict(ENVELOPE, Next="", MemberList=[])


# --- clean-up with destroy_topic / destroy_group / reset --------------------------------------------
def test_destroy_topic_drops_its_topic_permissions(client, gid, pgid):
    t1 = topic(client, gid, "a", gid + "@TOPIC#_a")
    t2 = topic(client, gid, "b")
    other = create_pg(client, gid)
    for p in (pgid, other):
        call(client, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": p, "TopicPermissionList": [
            {"TopicId": t1, "Permission": 8}, {"TopicId": t2, "Permission": 4}]})
    assert client.topic("destroy_topic", {"GroupId": gid, "TopicIdList": [t1]})["ErrorCode"] == 0
    for p in (pgid, other):
        out = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": p})
        assert [(i["TopicId"], i["Permission"]) for i in out["TopicPermissionResultList"]] == [(t2, 4)]
    # a new topic with the same id starts without permission entries
    topic(client, gid, "a again", t1)
    out = call(client, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": pgid, "TopicIdList": [t1]})
    assert out["TopicPermissionResultList"][0]["ErrorCode"] == 10004
    assert get_pg(client, gid, pgid)["Permission"] == 3   # the permission group itself stays


def test_destroy_group_drops_its_permission_groups(client):
    gid = client.community("@TGS#_perm")
    keep = client.community("@TGS#_keep")
    create_pg(client, gid, "@PMG#_a")
    create_pg(client, keep, "@PMG#_a")
    call(client, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": "@PMG#_a",
                                                 "MemberList": members("x")})
    assert client.call(GROUP + "/destroy_group", {"GroupId": gid})["ErrorCode"] == 0
    assert list(client.admin("GET", "state")["permission_groups"]) == [keep]
    assert call(client, "get_permission_group", {"GroupId": gid, "Limit": 20})["ErrorCode"] == 10010
    client.community("@TGS#_perm")
    assert get_all_pgs(client, gid) == []
    create_pg(client, gid, "@PMG#_a")
    assert get_pg(client, gid, "@PMG#_a")["MemberCount"] == 0
    assert [i["PermissionGroupId"] for i in get_all_pgs(client, keep)] == ["@PMG#_a"]


def test_reset_drops_permission_groups(client, gid, pgid):
    client.admin("POST", "reset")
    assert client.admin("GET", "state")["permission_groups"] == {}


# --- persistence, faults, rate limit --------------------------------------------------------------
def test_state_file_round_trip(tmp_path):
    path = str(tmp_path / "state.json")
    emu = InProcessEmulator(state_file=path)
    try:
        c = emu.client()
        gid = c.community("@TGS#_saved")
        tid = topic(c, gid, "t")
        auto = create_pg(c, gid, name=CJK * 50, permission=2047, CustomString=CJK)
        create_pg(c, gid, "@PMG#_b", name="b", permission=1)
        call(c, "add_topic_permission_group", {"GroupId": gid, "PermissionGroupId": auto,
                                               "TopicPermissionList": [{"TopicId": tid, "Permission": 127}]})
        call(c, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": auto,
                                                "MemberList": members("a", "b", "c")})
        call(c, "delete_permission_group_member", {"GroupId": gid, "PermissionGroupId": auto,
                                                   "MemberList": members("a")})
        first_page = call(c, "get_permission_group", {"GroupId": gid, "Limit": 1})
        member_page = call(c, "get_permission_group_member_list", {"GroupId": gid, "PermissionGroupId": auto,
                                                                   "Limit": 1})
        before = [call(c, "get_permission_group", {"GroupId": gid, "Limit": 20}),
                  call(c, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": auto}),
                  call(c, "get_permission_group_member_list", {"GroupId": gid, "PermissionGroupId": auto})]
    finally:
        emu.stop()
    emu = InProcessEmulator(state_file=path)
    try:
        c = emu.client()
        after = [call(c, "get_permission_group", {"GroupId": gid, "Limit": 20}),
                 call(c, "get_topic_permission_group", {"GroupId": gid, "PermissionGroupId": auto}),
                 call(c, "get_permission_group_member_list", {"GroupId": gid, "PermissionGroupId": auto})]
        assert after == before
        assert after[0]["PermissionGroupInfoList"][0]["PermissionGroupName"] == CJK * 50
        assert after[0]["PermissionGroupInfoList"][0]["MemberCount"] == 2
        assert [m["Member_Account"] for m in after[2]["MemberList"]] == ["b", "c"]
        # cursors handed out before the restart still work
        out = call(c, "get_permission_group", {"GroupId": gid, "Limit": 1, "Next": first_page["Next"]})
        assert [i["PermissionGroupId"] for i in out["PermissionGroupInfoList"]] == ["@PMG#_b"]
        out = call(c, "get_permission_group_member_list", {"GroupId": gid, "PermissionGroupId": auto,
                                                           "Limit": 1, "Next": member_page["Next"]})
        assert out["MemberList"] == [{"Member_Account": "c"}]
        # new members are appended after the restored ones
        call(c, "add_permission_group_member", {"GroupId": gid, "PermissionGroupId": auto,
                                                "MemberList": members("a")})
        out = call(c, "get_permission_group_member_list", {"GroupId": gid, "PermissionGroupId": auto})
        assert [m["Member_Account"] for m in out["MemberList"]] == ["b", "c", "a"]
    finally:
        emu.stop()


def test_state_file_without_permission_groups_loads(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "groups": [{"GroupId": "@TGS#_old", "Type": "Community", "Name": "o", '
                    '"SupportTopic": 1, "Owner_Account": "", "CreateTime": 1, "Topics": []}]}')
    emu = InProcessEmulator(state_file=str(path))
    try:
        c = emu.client()
        out = call(c, "get_permission_group", {"GroupId": "@TGS#_old", "Limit": 20})
        assert out["ErrorCode"] == 0 and out["PermissionGroupInfoList"] == []
        create_pg(c, "@TGS#_old", "@PMG#_new")
    finally:
        emu.stop()


def test_write_classification_and_drop(make_emu):
    emu = make_emu(drop_rate=1.0)
    c = emu.client()
    with pytest.raises(requests.ConnectionError):
        c.post(GROUP + "/create_group", {"Type": "Community", "Name": "x", "SupportTopic": 1, "GroupId": "@TGS#_d"})
    c = emu.client()
    with pytest.raises(requests.ConnectionError):
        c.post(GROUP + "/create_permission_group", {"GroupId": "@TGS#_d", "PermissionGroupId": "@PMG#_d",
                                                    "PermissionGroupName": "d", "Permission": 1})
    # the write was committed nonetheless; reads are never dropped
    c = emu.client()
    assert get_pg(c, "@TGS#_d", "@PMG#_d")["Permission"] == 1
    for command in ("get_permission_group_member_list", "get_topic_permission_group"):
        assert call(c, command, {"GroupId": "@TGS#_d", "PermissionGroupId": "@PMG#_d"})["ErrorCode"] == 0
    stats = c.admin("GET", "stats")
    assert stats["writes"][GROUP + "/create_permission_group"] == 1
    assert not [k for k in stats["writes"] if k.split("/")[1].startswith("get_")]
    assert stats["faults"]["drop"] == 2


def test_rate_limit_per_permission_command(make_emu):
    c = make_emu(rate_limit=10).client()
    gid = c.community()
    codes = [call(c, "get_permission_group", {"GroupId": gid, "Limit": 20})["ErrorCode"] for _i in range(13)]
    assert codes == [0] * 10 + [60007] * 3
    # each command has its own budget
    assert call(c, "create_permission_group", {"GroupId": gid, "PermissionGroupName": "n",
                                               "Permission": 0})["ErrorCode"] == 0

"""Group commands (group_open_http_svc): create_group, get_group_info, modify_group_base_info,
destroy_group, get_appid_group_list.

Written from reference/create-group.md, get-group-info.md, modify-group-base-info.md,
destroy-group.md, get-appid-group-list.md, group-system.md, use-limits.md and error-codes.md.
Where those pages are silent the strict reading is taken; each such choice is listed in README.md
("Choices where the pages are silent").
"""

import json
import time

from . import state as st
from .api import GROUP_SVC, LIST, SCALAR, command
from .state import ApiError, _check_limit, _printable_ascii, _rand_id, _req_str, _utf8_len

# --- codes (error-codes.md group codes; the pages named beside each use) -------------------------
TOO_MANY_MEMBERS = 10005       # create-group.md: more than 100 members in MemberList
GROUP_LIST_FREQUENCY = 10006   # create-group.md: "too frequent calls to obtain all groups in the app"
PERMISSION = st.PERMISSION     # 10007
RESPONSE_TOO_LONG = 10018      # get-group-info.md / get-appid-group-list.md: answer above 1 MB
USER_NOT_FOUND = 10019         # error-codes.md: "The requested UserID does not exist."
MEMBER_LIMIT = 10038           # create-group.md: members in the request exceed the limit
ACCOUNT_TYPE = 60015           # REST common: "Ensure that the UserID is in string format."

# --- limits --------------------------------------------------------------------------------------
MAX_GROUP_INFO_IDS = 50        # get-group-info.md
MAX_MEMBER_LIST = 100          # create-group.md
MAX_LIST_LIMIT = 10000         # get-appid-group-list.md
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_UINT64 = (1 << 64) - 1
GROUP_VALUE_BYTES = 512        # use-limits.md / group-system.md "Custom Fields"
MEMBER_VALUE_BYTES = 64
APPLY_JOIN_OPTIONS = ("FreeAccess", "NeedPermission", "DisableApply")
INVITE_JOIN_OPTIONS = ("FreeAccess",)   # the only value the page shows
MEMBER_ROLES = ("Admin",)               # create-group.md: "only the Admin option is available"
# get_appid_group_list GroupType values (get-appid-group-list.md) -> the create_group types they cover
LIST_GROUP_TYPES = {"Public": ("Public",), "Private": ("Private", "Work"), "ChatRoom": ("ChatRoom", "Meeting"),
                    "AVChatRoom": ("AVChatRoom",), "BChatRoom": (), "Community": ("Community",)}

# get_group_info answer: the keys of the page's sample response, in its order.
GROUP_INFO_KEYS = ("Type", "Name", "Appid", "Introduction", "Notification", "FaceUrl", "Owner_Account",
                   "CreateTime", "LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum", "MaxMemberNum",
                   "ApplyJoinOption", "MuteAllMember")
# GroupBaseInfoFilter may also name InfoSeq (group-system.md "Group basic information") and GroupId.
BASE_FILTER_NAMES = ("GroupId",) + GROUP_INFO_KEYS + ("InfoSeq",)
MEMBER_INFO_KEYS = ("Member_Account", "Role", "JoinTime", "MsgSeq", "MsgFlag", "LastSendMsgTime", "MuteUntil")
# MemberInfoFilter: group-system.md "Group member profile"; the page's sample filter says "Account".
MEMBER_FILTER_NAMES = {"Account": "Member_Account", "Member_Account": "Member_Account", "Role": "Role",
                       "JoinTime": "JoinTime", "MsgSeq": "MsgSeq", "MsgFlag": "MsgFlag",
                       "LastSendMsgTime": "LastSendMsgTime", "NameCard": "NameCard", "MuteUntil": "MuteUntil"}

# --- request fields as the pages document them (strict mode) -----------------------------------
KEY_VALUE = [{"Key": SCALAR, "Value": SCALAR}]
CREATE_GROUP_FIELDS = {
    "Owner_Account": SCALAR, "Type": SCALAR, "GroupId": SCALAR, "Name": SCALAR, "Introduction": SCALAR,
    "Notification": SCALAR, "FaceUrl": SCALAR, "MaxMemberCount": SCALAR, "ApplyJoinOption": SCALAR,
    "AppDefinedData": KEY_VALUE, "SupportTopic": SCALAR,
    "MemberList": [{"Member_Account": SCALAR, "Role": SCALAR, "AppMemberDefinedData": KEY_VALUE}],
}
GET_GROUP_INFO_FIELDS = {
    "GroupIdList": LIST,
    "ResponseFilter": {"GroupBaseInfoFilter": LIST, "MemberInfoFilter": LIST, "AppDefinedDataFilter_Group": LIST,
                       "AppDefinedDataFilter_GroupMember": LIST},
}
MODIFY_GROUP_FIELDS = {
    "GroupId": SCALAR, "Name": SCALAR, "Introduction": SCALAR, "Notification": SCALAR, "FaceUrl": SCALAR,
    "MaxMemberNum": SCALAR, "ApplyJoinOption": SCALAR, "MuteAllMember": SCALAR, "InviteJoinOption": SCALAR,
    "From_Account": SCALAR, "AppDefinedData": KEY_VALUE,
}
DESTROY_GROUP_FIELDS = {"GroupId": SCALAR}
LIST_GROUPS_FIELDS = {"Limit": SCALAR, "Next": SCALAR, "GroupType": SCALAR}


# --- field helpers -------------------------------------------------------------------------------
def _present(body, key):
    return key in body and body[key] is not None


def _user_id(body, key, required=False):
    """Owner_Account / Member_Account / From_Account: String on the group pages."""
    if not _present(body, key):
        if required:
            raise ApiError(st.INVALID_PARAM, "%s is required" % key)
        return None
    val = body[key]
    if not isinstance(val, str):
        raise ApiError(ACCOUNT_TYPE, "%s must be a string (UserID)" % key)
    if val == "":
        if required:
            raise ApiError(st.INVALID_PARAM, "%s must not be empty" % key)
        return None
    return val


def _int(body, key, low, high, what=""):
    val = body[key]
    if isinstance(val, bool) or not isinstance(val, int):
        raise ApiError(st.INVALID_PARAM, "%s must be an integer" % key)
    if val < low or (high is not None and val > high):
        raise ApiError(st.INVALID_PARAM, "%s must be within [%d, %s]%s" % (key, low, high, what))
    return val


def _choice(body, key, values):
    val = body[key]
    if val not in values:
        raise ApiError(st.INVALID_PARAM, "%s must be one of %s" % (key, ", ".join(values)))
    return val


def _key_values(items, name, declared, value_limit, what):
    """A [{Key, Value}] list whose keys must be declared in the console. Returns [(key, value)]."""
    if not isinstance(items, list):
        raise ApiError(st.INVALID_PARAM, "%s must be an array of {Key, Value}" % name)
    seen = set()
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Key"), str) \
                or not isinstance(item.get("Value"), str):
            raise ApiError(st.INVALID_PARAM, "%s items are {\"Key\": string, \"Value\": string}" % name)
        key, value = item["Key"], item["Value"]
        if key not in declared:
            raise ApiError(st.INVALID_PARAM, "%s key %r is not a %s custom field declared in the console "
                           "(declared: %s)" % (name, key, what, ", ".join(declared) or "none"))
        if key in seen:
            raise ApiError(st.INVALID_PARAM, "%s key %r is given twice" % (name, key))
        seen.add(key)
        n = _utf8_len(value)
        if n > value_limit:
            raise ApiError(st.INVALID_PARAM, "%s value of key %r is %d bytes; the limit is %d bytes"
                           % (name, key, n, value_limit))
        out.append((key, value))
    return out


def _set_key_values(current, pairs):
    """Apply [(key, value)] to a [{Key, Value}] list; an empty value deletes the key. Returns whether
    anything changed."""
    by_key = dict((kv["Key"], kv["Value"]) for kv in current)
    changed = False
    for key, value in pairs:
        if value == "":
            changed |= key in by_key
            by_key.pop(key, None)
        elif by_key.get(key) != value:
            by_key[key] = value
            changed = True
    current[:] = [{"Key": k, "Value": v} for k, v in by_key.items()]
    return changed


def _missing_group(gid):
    """The error for a group id that is not in the app: 10015 if it cannot be a group id at all."""
    if gid == "" or not _printable_ascii(gid) or _utf8_len(gid) >= st.MAX_GROUP_ID_BYTES:
        return ApiError(st.INVALID_GROUP_ID, "invalid group id %r" % gid)
    return ApiError(st.GROUP_GONE, "group %s does not exist or has been disbanded" % gid)


def _group(app, gid):
    """The group record, or raise 10010/10015. Caller holds the state lock."""
    group = app.state.groups.get(gid)
    if group is None:
        raise _missing_group(gid)
    return group


def account_exists(app, user_id):
    """An imported account or one of the app admins (an admin is an account of the app)."""
    return user_id in app.admins or user_id in app.state.accounts


def _max_members(gtype, key):
    limit = st.MAX_MEMBERS.get(gtype)
    if limit is None:
        raise ApiError(st.INVALID_PARAM, "%s does not apply to an AVChatRoom (no member limit)" % key)
    return limit


# --- create_group --------------------------------------------------------------------------------
def create_group(app, body, request):
    cfg = request.config
    gtype = _req_str(body, "Type")
    if gtype not in st.GROUP_TYPES:
        raise ApiError(st.INVALID_PARAM, "Type must be one of %s" % ", ".join(st.GROUP_TYPES))
    fields = {"Name": _req_str(body, "Name")}
    fields.update(_limited_texts(body))
    owner = _user_id(body, "Owner_Account")
    support = body.get("SupportTopic", 0)
    if support is None:
        support = 0
    if isinstance(support, bool) or support not in (0, 1):
        raise ApiError(st.INVALID_PARAM, "SupportTopic must be 0 or 1")
    gid = None
    if _present(body, "GroupId"):
        gid = body["GroupId"]
        if not isinstance(gid, str) or gid == "":
            raise ApiError(st.INVALID_PARAM, "GroupId must be a non-empty string")
        if not _printable_ascii(gid) or _utf8_len(gid) >= st.MAX_GROUP_ID_BYTES:
            raise ApiError(st.INVALID_PARAM, "a custom GroupId is printable ASCII (0x20-0x7e), less than %d bytes"
                           % st.MAX_GROUP_ID_BYTES)
        if gtype == "Community" and not gid.startswith(st.COMMUNITY_PREFIX):
            raise ApiError(st.INVALID_PARAM, "a Community GroupId must start with %s" % st.COMMUNITY_PREFIX)
        if gtype != "Community" and gid.startswith("@TGS#"):
            raise ApiError(st.INVALID_PARAM, "a custom GroupId must not start with @TGS#")
    if _present(body, "MaxMemberCount"):
        fields["MaxMemberNum"] = _int(body, "MaxMemberCount", 1, _max_members(gtype, "MaxMemberCount"),
                                      " for a %s group" % gtype)
    if _present(body, "ApplyJoinOption"):
        if gtype == "Community":
            raise ApiError(st.INVALID_PARAM, "ApplyJoinOption: Community groups do not support this field")
        fields["ApplyJoinOption"] = _choice(body, "ApplyJoinOption", APPLY_JOIN_OPTIONS)
    app_data = []
    if _present(body, "AppDefinedData"):
        pairs = _key_values(body["AppDefinedData"], "AppDefinedData", cfg["app_defined_keys"], GROUP_VALUE_BYTES,
                            "group")
        app_data = [(k, v) for k, v in pairs if v != ""]
    members = _member_list(body, gtype, owner, cfg)
    if cfg["require_accounts"] and owner is not None and not account_exists(app, owner):
        raise ApiError(USER_NOT_FOUND, "Owner_Account %s does not exist (import it with account_import)" % owner)

    now = int(time.time())
    member_records = []
    if owner is not None and gtype != "AVChatRoom":
        member_records.append(_member_record(owner, "Owner", [], now))
    for account, role, data in members:
        member_records.append(_member_record(account, role, data, now))
    with app.state.lock:
        s = app.state
        if gid is not None and gid in s.groups:
            if owner is not None and s.groups[gid].get("Owner_Account") == owner:
                raise ApiError(st.GROUP_ID_USED_BY_OWNER, "group id %s is already used by you" % gid)
            raise ApiError(st.ID_IN_USE, "group id %s is already in use" % gid)
        if gid is None:
            prefix = "@TGS#_@TGS#" if gtype == "Community" else "@TGS#"
            gid = prefix + _rand_id()
            while gid in s.groups:
                gid = prefix + _rand_id()
        group = st.new_group(gid, gtype, now)
        group.update(fields)
        if len(member_records) > group["MaxMemberNum"] and st.MAX_MEMBERS.get(gtype) is not None:
            raise ApiError(MEMBER_LIMIT, "%d members (owner included) exceed MaxMemberNum %d"
                           % (len(member_records), group["MaxMemberNum"]))
        group["Owner_Account"] = owner or ""
        group["SupportTopic"] = support if gtype == "Community" else 0
        group["AppDefinedData"] = [{"Key": k, "Value": v} for k, v in app_data]
        group["MemberList"] = member_records
        group["_seq"] = s.take_seq()
        group["topics"] = {}
        s.groups[gid] = group
        s.save()
    resp = {"GroupId": gid}
    if gtype == "Community":
        # create-group.md, sample response of the Community (topic-enabled) form
        resp.update({"HugeGroupFlag": 0, "Type": "Community"})
    return resp, True


def _member_list(body, gtype, owner, cfg):
    if not _present(body, "MemberList"):
        return []
    items = body["MemberList"]
    if not isinstance(items, list):
        raise ApiError(st.INVALID_PARAM, "MemberList must be an array")
    if len(items) > MAX_MEMBER_LIST:
        raise ApiError(TOO_MANY_MEMBERS, "MemberList has %d members; at most %d per request"
                       % (len(items), MAX_MEMBER_LIST))
    if items and gtype == "AVChatRoom":
        raise ApiError(PERMISSION, "an AVChatRoom cannot be created with members (MemberList)")
    out = []
    seen = set([owner]) if owner else set()
    for item in items:
        if not isinstance(item, dict):
            raise ApiError(st.INVALID_PARAM, "MemberList items are objects with Member_Account")
        account = _user_id(item, "Member_Account", required=True)
        if account in seen:
            raise ApiError(st.INVALID_PARAM, "MemberList: %s is listed twice (or is the owner)" % account)
        seen.add(account)
        role = "Member"
        if _present(item, "Role"):
            role = _choice(item, "Role", MEMBER_ROLES)
        data = []
        if _present(item, "AppMemberDefinedData"):
            pairs = _key_values(item["AppMemberDefinedData"], "AppMemberDefinedData", cfg["app_member_defined_keys"],
                                MEMBER_VALUE_BYTES, "member")
            data = [(k, v) for k, v in pairs if v != ""]
        out.append((account, role, data))
    return out


def _member_record(account, role, data, now):
    return {"Member_Account": account, "Role": role, "JoinTime": now, "MsgSeq": 0, "MsgFlag": "AcceptAndNotify",
            "LastSendMsgTime": 0, "MuteUntil": 0, "NameCard": "",
            "AppMemberDefinedData": [{"Key": k, "Value": v} for k, v in data]}


# --- get_group_info ------------------------------------------------------------------------------
def _string_list(value, name):
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise ApiError(st.INVALID_PARAM, "%s must be an array of strings" % name)
    return value


def _response_filter(body, cfg):
    """None (no filter) or {"base": [...], "members": [...] | None, "group_keys": [...] | None,
    "member_keys": [...] | None}."""
    if not _present(body, "ResponseFilter"):
        return None
    flt = body["ResponseFilter"]
    if not isinstance(flt, dict):
        raise ApiError(st.INVALID_PARAM, "ResponseFilter must be an object")
    out = {"base": [], "members": None, "group_keys": None, "member_keys": None}
    if _present(flt, "GroupBaseInfoFilter"):
        names = _string_list(flt["GroupBaseInfoFilter"], "GroupBaseInfoFilter")
        for name in names:
            if name not in BASE_FILTER_NAMES:
                raise ApiError(st.INVALID_PARAM, "GroupBaseInfoFilter: unknown group field %r" % name)
        out["base"] = [f for f in BASE_FILTER_NAMES if f in names]
    if _present(flt, "MemberInfoFilter"):
        names = _string_list(flt["MemberInfoFilter"], "MemberInfoFilter")
        for name in names:
            if name not in MEMBER_FILTER_NAMES:
                raise ApiError(st.INVALID_PARAM, "MemberInfoFilter: unknown member field %r" % name)
        wanted = set(MEMBER_FILTER_NAMES[n] for n in names)
        out["members"] = [f for f in MEMBER_INFO_KEYS + ("NameCard",) if f in wanted]
    for key, slot, declared in (("AppDefinedDataFilter_Group", "group_keys", cfg["app_defined_keys"]),
                                ("AppDefinedDataFilter_GroupMember", "member_keys", cfg["app_member_defined_keys"])):
        if _present(flt, key):
            names = _string_list(flt[key], key)
            for name in names:
                if name not in declared:
                    raise ApiError(st.INVALID_PARAM, "%s: key %r is not a custom field declared in the console"
                                   % (key, name))
            out[slot] = names
    return out


def _render_group(app, group, flt):
    values = dict(group)
    values["Appid"] = app.sdkappid
    values["MemberNum"] = len(group["MemberList"])
    item = {"GroupId": group["GroupId"], "ErrorCode": 0, "ErrorInfo": ""}
    if flt is None:
        for key in GROUP_INFO_KEYS:
            item[key] = values[key]
        item["AppDefinedData"] = [dict(kv) for kv in group["AppDefinedData"]]
        item["MemberList"] = [_render_member(m, MEMBER_INFO_KEYS, None) for m in group["MemberList"]]
        return item
    for key in flt["base"]:
        item[key] = values[key]
    if flt["group_keys"] is not None:
        item["AppDefinedData"] = [dict(kv) for kv in group["AppDefinedData"] if kv["Key"] in flt["group_keys"]]
    if flt["members"] is not None or flt["member_keys"] is not None:
        keys = ["Member_Account"] + [k for k in (flt["members"] or []) if k != "Member_Account"]
        item["MemberList"] = [_render_member(m, keys, flt["member_keys"], filtered=True)
                              for m in group["MemberList"]]
    return item


def _render_member(member, keys, member_keys, filtered=False):
    out = dict((k, member[k]) for k in keys)
    if not filtered or member_keys is not None:
        out["AppMemberDefinedData"] = [dict(kv) for kv in member["AppMemberDefinedData"]
                                       if member_keys is None or kv["Key"] in member_keys]
    return out


def get_group_info(app, body, request):
    if not _present(body, "GroupIdList"):
        raise ApiError(st.INVALID_PARAM, "GroupIdList is required")
    ids = _string_list(body["GroupIdList"], "GroupIdList")
    if not ids:
        raise ApiError(st.INVALID_PARAM, "GroupIdList must not be empty")
    if len(ids) > MAX_GROUP_INFO_IDS:
        raise ApiError(st.INVALID_PARAM, "GroupIdList has %d groups; at most %d per request"
                       % (len(ids), MAX_GROUP_INFO_IDS))
    flt = _response_filter(body, request.config)
    items = []
    with app.state.lock:
        for gid in ids:
            group = app.state.groups.get(gid)
            if group is None:
                err = _missing_group(gid)
                items.append({"GroupId": gid, "ErrorCode": err.code, "ErrorInfo": err.info})
            else:
                items.append(_render_group(app, group, flt))
    size = len(json.dumps(items, ensure_ascii=False).encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        raise ApiError(RESPONSE_TOO_LONG, "the answer would be %d bytes, above the 1 MB limit: ask for fewer "
                       "groups per request" % size)
    return {"GroupInfo": items}, False


# --- modify_group_base_info ----------------------------------------------------------------------
def modify_group_base_info(app, body, request):
    cfg = request.config
    gid = _req_str(body, "GroupId")
    updates = {}
    if _present(body, "Name"):
        name = body["Name"]
        if not isinstance(name, str) or name == "":
            raise ApiError(st.INVALID_PARAM, "Name must be a non-empty string")
    updates.update(_limited_texts(body))
    if _present(body, "MuteAllMember"):
        updates["MuteAllMember"] = _choice(body, "MuteAllMember", ("On", "Off"))
    if _present(body, "ApplyJoinOption"):
        updates["ApplyJoinOption"] = _choice(body, "ApplyJoinOption", APPLY_JOIN_OPTIONS)
    if _present(body, "InviteJoinOption"):
        updates["InviteJoinOption"] = _choice(body, "InviteJoinOption", INVITE_JOIN_OPTIONS)
    app_data = None
    if _present(body, "AppDefinedData"):
        app_data = _key_values(body["AppDefinedData"], "AppDefinedData", cfg["app_defined_keys"],
                               GROUP_VALUE_BYTES, "group")
    operator = _user_id(body, "From_Account")
    with app.state.lock:
        group = _group(app, gid)
        gtype = group["Type"]
        if operator is not None and not _may_modify(app, group, operator):
            raise ApiError(PERMISSION, "%s may not modify the profile of group %s (owner, admins and app admins may)"
                           % (operator, gid))
        if "ApplyJoinOption" in updates and gtype == "Community":
            raise ApiError(st.INVALID_PARAM, "ApplyJoinOption: the joining mode of a Community cannot be changed")
        if _present(body, "MaxMemberNum"):
            limit = _max_members(gtype, "MaxMemberNum")
            updates["MaxMemberNum"] = _int(body, "MaxMemberNum", max(1, len(group["MemberList"])), limit,
                                           " for this %s group (not below its MemberNum)" % gtype)
        changed = dict((k, v) for k, v in updates.items() if group.get(k) != v)
        data_changed = app_data is not None and _set_key_values(group["AppDefinedData"], app_data)
        if changed or data_changed:
            group.update(changed)
            group["InfoSeq"] += 1
            group["LastInfoTime"] = int(time.time())
            app.state.save()
    return {}, bool(changed or data_changed)


def _may_modify(app, group, account):
    """group-system.md "Permission to modify basic group information"."""
    if account in app.admins or account == group["Owner_Account"]:
        return True
    for member in group["MemberList"]:
        if member["Member_Account"] == account:
            return member["Role"] in ("Owner", "Admin") or group["Type"] in ("Private", "Work")
    return False


def _limited_texts(body):
    """The profile texts of ``body`` (Introduction, Notification, FaceUrl): strings within their byte limits."""
    texts = {}
    for key, limit in st.GROUP_FIELD_LIMITS:
        if _present(body, key):
            val = body[key]
            if not isinstance(val, str):
                raise ApiError(st.INVALID_PARAM, "%s must be a string" % key)
            _check_limit(key, val, limit)
            texts[key] = val
    return texts


# --- destroy_group -------------------------------------------------------------------------------
def destroy_group(app, body, request):
    gid = _req_str(body, "GroupId")
    with app.state.lock:
        _group(app, gid)
        del app.state.groups[gid]      # its topics are part of the group record: they go with it
        app.state.permissions.drop_group(gid)
        app.state.save()
    return {}, True


# --- get_appid_group_list ------------------------------------------------------------------------
def get_appid_group_list(app, body, request):
    limit = MAX_LIST_LIMIT
    if _present(body, "Limit"):
        limit = _int(body, "Limit", 1, MAX_LIST_LIMIT)
    after = 0
    if _present(body, "Next"):
        after = _int(body, "Next", 0, MAX_UINT64)
    types = None
    if _present(body, "GroupType"):
        types = LIST_GROUP_TYPES[_choice(body, "GroupType", tuple(LIST_GROUP_TYPES))]
    with app.state.lock:
        groups = [g for g in app.state.groups.values() if types is None or g["Type"] in types]
    groups.sort(key=lambda g: g["_seq"])
    rest = [g for g in groups if g["_seq"] > after]
    page = rest[:limit]
    nxt = page[-1]["_seq"] if len(rest) > limit else 0
    return {"TotalCount": len(groups), "GroupIdList": [{"GroupId": g["GroupId"]} for g in page], "Next": nxt}, False


COMMANDS = {
    (GROUP_SVC, "create_group"): command(create_group, True, CREATE_GROUP_FIELDS),
    (GROUP_SVC, "get_group_info"): command(get_group_info, False, GET_GROUP_INFO_FIELDS),
    (GROUP_SVC, "modify_group_base_info"): command(modify_group_base_info, True, MODIFY_GROUP_FIELDS),
    (GROUP_SVC, "destroy_group"): command(destroy_group, True, DESTROY_GROUP_FIELDS),
    (GROUP_SVC, "get_appid_group_list"): command(get_appid_group_list, False, LIST_GROUPS_FIELDS,
                                                 rate_limit=1, throttle_code=GROUP_LIST_FREQUENCY),
}

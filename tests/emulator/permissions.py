"""Permission groups of Community groups (group_open_http_svc, eleven commands).

An independent reading of the reference pages (shared/reference/) permission-groups-overview.md and the eleven
permission-group command pages.  The pages have gaps (no error tables, no create response sample,
no request table for set_topic_permission_group ...); every choice made where a page is silent is
listed in README.md, section "Permission groups: choices where the pages are silent".

These commands are strict: an unknown body field, a null value, an undefined permission bit or a
value of the wrong type is rejected with 10004 and an ErrorInfo that names the field.

State: ``PermissionStore`` lives next to the groups of ``state.State`` (it shares its lock, its
groups and its save()).  ``State`` calls ``drop_group`` (destroy_group), ``drop_topics``
(destroy_topic), ``reset``, ``to_json`` and ``load``.  Each command returns
``(response_fields, committed)`` like the topic commands: ``committed`` is True only when the state
changed (a write that changes nothing is not counted as a write).
"""

import base64
import binascii
import random
import string

from . import state as st
from .api import command

SERVICE = "group_open_http_svc"

# command -> is_write ("writes" in /_emulator/stats, --drop-rate)
WRITE_COMMANDS = (
    "create_permission_group",
    "modify_permission_group",
    "destroy_permission_group",
    "add_topic_permission_group",
    "set_topic_permission_group",
    "delete_topic_permission_group",
    "add_permission_group_member",
    "delete_permission_group_member",
)
READ_COMMANDS = (
    "get_permission_group",
    "get_topic_permission_group",
    "get_permission_group_member_list",
)


def _handler(name):
    def handle(app, body, request):
        return app.state.permissions.run(name, body)
    return handle


# (service, command) -> api.Command, merged into server.COMMANDS. No ``fields``: every command here checks its
# fields itself, strictly, whether or not the emulator runs with --strict.
COMMANDS = dict(((SERVICE, name), command(_handler(name), write=name in WRITE_COMMANDS))
                for name in WRITE_COMMANDS + READ_COMMANDS)

# --- permission bits (permission-groups-overview.md) -------------------------------------------
COMMUNITY_PERMISSION_BITS = (1 << 11) - 1     # bits 0-10 = 2047
TOPIC_PERMISSION_BITS = (1 << 7) - 1          # bits 0-6 = 127
UINT64_LIMIT = 1 << 64

# --- limits -------------------------------------------------------------------------------------
MAX_NAME_BYTES = 150                 # PermissionGroupName (create / modify pages)
MAX_CUSTOM_STRING_BYTES = 3000       # CustomString (modify page; applied to create too)
MAX_PERMISSION_GROUPS = 20           # per community: SDK guide "up to 20 ... by default"
MAX_DESTROY_PER_CALL = 20            # destroy_permission_group: "up to 20 ... at a time"
MAX_GET_PER_CALL = 20                # get_permission_group: Limit "cannot exceed 20"
MAX_TOPIC_ITEMS_PER_CALL = 50        # add / delete topic permissions: "cannot exceed 50"
MAX_MEMBERS_PER_CALL = 100           # add / delete permission group members
MAX_MEMBER_PAGE = 50                 # get_permission_group_member_list: Limit "cannot exceed 50"
DEFAULT_MEMBER_PAGE = MAX_MEMBER_PAGE
MAX_USERID_BYTES = 32                # account-import.md: UserID "up to 32 bytes"

PMG_PREFIX = "@PMG#_"
AUTO_PMG_PREFIX = "@PMG#_@PMG#"      # server-assigned ids: @PMG#_@PMG#cM2, @PMG#_@PMG#cA7VPIIM62CJ

# codes (error-codes.md, group error codes; see README for the choices)
INVALID_PARAM = st.INVALID_PARAM     # 10004
GONE = st.GROUP_GONE                 # 10010: group / permission group does not exist
ID_IN_USE = st.ID_IN_USE             # 10021
ALREADY_MEMBER = 10013               # add_permission_group_member: "already a group member"
TOPIC_DELETED = st.TOPIC_DELETED     # 110003

_ID_CHARS = string.ascii_uppercase + string.digits
_sysrand = random.SystemRandom()


def _bad(info):
    return st.ApiError(INVALID_PARAM, info)


def _utf8_len(text):
    return len(text.encode("utf-8"))


def _printable_ascii(text):
    return all(0x20 <= ord(c) <= 0x7e for c in text)


# --- request validation ------------------------------------------------------------------------
def _check_fields(obj, required, optional, where=""):
    """Unknown fields, null values and missing required fields: 10004 naming the field."""
    for key in obj:
        if key not in required and key not in optional:
            raise _bad("unknown field %s%s" % (where, key))
    for key in required:
        if key not in obj:
            raise _bad("%s%s is required" % (where, key))
    for key, val in obj.items():
        if val is None:
            raise _bad("%s%s must not be null" % (where, key))


def _string(obj, key, where="", allow_empty=False, limit=None):
    val = obj[key]
    if not isinstance(val, str):
        raise _bad("%s%s must be a string" % (where, key))
    if not allow_empty and val == "":
        raise _bad("%s%s must not be empty" % (where, key))
    if limit is not None and _utf8_len(val) > limit:
        raise _bad("%s%s is %d bytes (UTF-8); the limit is %d bytes" % (where, key, _utf8_len(val), limit))
    return val


def _integer(obj, key, where=""):
    val = obj[key]
    if isinstance(val, bool) or not isinstance(val, int):
        raise _bad("%s%s must be an integer" % (where, key))
    return val


def _permission(obj, key, defined, kind, where=""):
    val = _integer(obj, key, where)
    if val < 0 or val >= UINT64_LIMIT:
        raise _bad("%s%s must be an unsigned 64-bit integer" % (where, key))
    undefined = val & ~defined
    if undefined:
        top = defined.bit_length() - 1
        raise _bad("%s%s sets undefined %s permission bits (0x%x): only bits 0-%d (mask %d) are defined"
                   % (where, key, kind, undefined, top, defined))
    return val


def _array(obj, key, maximum=None, allow_empty=False):
    val = obj[key]
    if not isinstance(val, list):
        raise _bad("%s must be an array" % key)
    if not allow_empty and not val:
        raise _bad("%s must not be empty" % key)
    if maximum is not None and len(val) > maximum:
        raise _bad("%s has %d items; at most %d per request" % (key, len(val), maximum))
    return val


def _string_array(obj, key, maximum=None, allow_empty=False):
    val = _array(obj, key, maximum, allow_empty)
    for i, item in enumerate(val):
        if not isinstance(item, str):
            raise _bad("%s[%d] must be a string" % (key, i))
        if item == "":
            raise _bad("%s[%d] must not be empty" % (key, i))
    return val


def _limit(obj, key, maximum):
    val = _integer(obj, key)
    if val < 1 or val > maximum:
        raise _bad("%s must be within 1-%d" % (key, maximum))
    return val


def check_custom_permission_group_id(pgid):
    """Custom PermissionGroupId (no written rule in the pages; see README): '@PMG#_' + a non-empty
    printable-ASCII part, not in the server-assigned form '@PMG#_@PMG#...'."""
    if not pgid.startswith(PMG_PREFIX):
        raise _bad("PermissionGroupId must start with %s" % PMG_PREFIX)
    custom = pgid[len(PMG_PREFIX):]
    if custom == "":
        raise _bad("PermissionGroupId has an empty custom part after %s" % PMG_PREFIX)
    if not _printable_ascii(custom):
        raise _bad("PermissionGroupId must be printable ASCII (0x20-0x7e)")
    if pgid.startswith(AUTO_PMG_PREFIX):
        raise _bad("PermissionGroupId must not start with %s (the form of server-assigned ids)"
                   % AUTO_PMG_PREFIX)


def _object_array(body, key, maximum, fields):
    """The items of the array ``key``, each an object of exactly the (required) ``fields``: (where, item) pairs."""
    items = _array(body, key, maximum)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _bad("%s[%d] must be an object {%s}" % (key, i, ", ".join(fields)))
        where = "%s[%d]." % (key, i)
        _check_fields(item, fields, (), where)
        yield where, item


def _members(body):
    return [_string(item, "Member_Account", where, limit=MAX_USERID_BYTES)
            for where, item in _object_array(body, "MemberList", MAX_MEMBERS_PER_CALL, ("Member_Account",))]


def _topic_permissions(body):
    return [(_string(item, "TopicId", where), _permission(item, "Permission", TOPIC_PERMISSION_BITS, "topic", where))
            for where, item in _object_array(body, "TopicPermissionList", MAX_TOPIC_ITEMS_PER_CALL,
                                             ("TopicId", "Permission"))]


def _topic_ids(body):
    return [(tid, None) for tid in _string_array(body, "TopicIdList", MAX_TOPIC_ITEMS_PER_CALL)]


def _topic_entry_failure(verb, group, record, tid):
    """Why topic tid cannot take verb (add, set or delete) in the permission group record; None when it can."""
    if tid not in group["topics"]:
        return _fail(TOPIC_DELETED, "topic %s does not exist or has been deleted" % tid, TopicId=tid)
    pgid = record["PermissionGroupId"]
    has_entry = tid in record["TopicPermissions"]
    if verb == "add" and has_entry:
        return _fail(INVALID_PARAM, "topic %s already has a permission entry in permission group %s: use "
                     "set_topic_permission_group" % (tid, pgid), TopicId=tid)
    if verb != "add" and not has_entry:
        hint = ": use add_topic_permission_group" if verb == "set" else ""
        return _fail(INVALID_PARAM, "topic %s has no permission entry in permission group %s%s" % (tid, pgid, hint),
                     TopicId=tid)
    return None


def _store_entry(table, tid, permission):
    if table.get(tid) == permission:
        return False
    table[tid] = permission
    return True


def _delete_entry(table, tid, _unused):
    del table[tid]
    return True


# --- paging cursors (opaque strings, "" = first page / no more pages) --------------------------
def _encode_cursor(kind, seq):
    return base64.b64encode(("%s:%d" % (kind, seq)).encode("ascii")).decode("ascii")


def _decode_cursor(body, kind):
    if "Next" not in body:
        return 0
    val = body["Next"]
    if not isinstance(val, str):
        raise _bad("Next must be a string (\"\" for the first page, then the Next of the previous reply)")
    if val == "":
        return 0
    try:
        text = base64.b64decode(val.encode("ascii"), validate=True).decode("ascii")
        prefix, seq = text.split(":")
        if prefix != kind or not seq.isdigit():
            raise ValueError(text)
        return int(seq)
    except (ValueError, UnicodeError, binascii.Error):
        raise _bad("Next %r is not a cursor returned by this API" % val)


def _page(records, after, limit, kind):
    """records: list of (seq, item) in seq order.  Returns (items, next_cursor)."""
    rest = [(seq, item) for seq, item in records if seq > after]
    page = rest[:limit]
    nxt = _encode_cursor(kind, page[-1][0]) if len(rest) > limit else ""
    return [item for _seq, item in page], nxt


def _ok(**fields):
    out = {"ErrorCode": 0, "ErrorInfo": ""}
    out.update(fields)
    return out


def _fail(code, info, **fields):
    out = {"ErrorCode": code, "ErrorInfo": info}
    out.update(fields)
    return out


# --- the model ---------------------------------------------------------------------------------
class PermissionStore(object):
    """Permission groups per community.  Shares the lock, groups and save() of ``state.State``.

    communities: GroupId -> {"next_seq": int, "groups": {PermissionGroupId: record}} where record is
    {PermissionGroupId, PermissionGroupName, Permission, CustomString, Seq, NextMemberSeq,
     Members: {account: seq} (insertion ordered), TopicPermissions: {TopicId: permission}}.
    """

    def __init__(self, state):
        self.state = state
        self.communities = {}

    # hooks called by state.State (under its lock) ---------------------------------------------
    def reset(self):
        self.communities = {}

    def drop_group(self, group_id):
        self.communities.pop(group_id, None)

    def drop_topics(self, group_id, topic_ids):
        community = self.communities.get(group_id)
        if community is None:
            return
        for record in community["groups"].values():
            for tid in topic_ids:
                record["TopicPermissions"].pop(tid, None)

    def to_json(self):
        out = {}
        for gid, community in self.communities.items():
            groups = []
            for r in community["groups"].values():
                groups.append({
                    "PermissionGroupId": r["PermissionGroupId"],
                    "PermissionGroupName": r["PermissionGroupName"],
                    "Permission": r["Permission"],
                    "CustomString": r["CustomString"],
                    "Seq": r["Seq"],
                    "NextMemberSeq": r["NextMemberSeq"],
                    "Members": [{"Member_Account": a, "Seq": s} for a, s in r["Members"].items()],
                    "TopicPermissions": [{"TopicId": t, "Permission": p}
                                         for t, p in r["TopicPermissions"].items()],
                })
            out[gid] = {"NextSeq": community["next_seq"], "PermissionGroups": groups}
        return out

    def load(self, data):
        self.communities = {}
        for gid, community in (data or {}).items():
            groups = {}
            for r in community.get("PermissionGroups", []):
                groups[r["PermissionGroupId"]] = {
                    "PermissionGroupId": r["PermissionGroupId"],
                    "PermissionGroupName": r["PermissionGroupName"],
                    "Permission": r["Permission"],
                    "CustomString": r.get("CustomString", ""),
                    "Seq": r["Seq"],
                    "NextMemberSeq": r.get("NextMemberSeq", 1),
                    "Members": dict((m["Member_Account"], m["Seq"]) for m in r.get("Members", [])),
                    "TopicPermissions": dict((t["TopicId"], t["Permission"])
                                             for t in r.get("TopicPermissions", [])),
                }
            self.communities[gid] = {"next_seq": community.get("NextSeq", len(groups) + 1), "groups": groups}

    # dispatch ---------------------------------------------------------------------------------
    def run(self, name, body):
        """Run one permission-group command; returns (response_fields, committed)."""
        if name not in WRITE_COMMANDS and name not in READ_COMMANDS:
            raise st.ApiError(st.INVALID_COMMAND, "invalid command %s" % name)
        return getattr(self, name)(body)

    # lookups (caller holds state.lock) --------------------------------------------------------
    def _community(self, body, need_topics=False):
        gid = body["GroupId"]
        group = self.state.groups.get(gid)
        if group is None:
            if not _printable_ascii(gid) or not gid.startswith(st.COMMUNITY_PREFIX):
                raise st.ApiError(st.INVALID_GROUP_ID, "GroupId %s is not a valid community group id" % gid)
            raise st.ApiError(GONE, "group %s does not exist or has been deleted" % gid)
        if group["Type"] != "Community":
            raise _bad("group %s is a %s group: permission groups are supported only by Community groups"
                       % (gid, group["Type"]))
        if need_topics and not group.get("SupportTopic"):
            raise st.ApiError(st.TOPICS_NOT_ENABLED, "community %s does not support topics" % gid)
        return group

    def _groups(self, gid, create=False):
        community = self.communities.get(gid)
        if community is None:
            community = {"next_seq": 1, "groups": {}}
            if create:
                self.communities[gid] = community
        return community

    def _permission_group(self, body, need_topics=False):
        group = self._community(body, need_topics)
        pgid = body["PermissionGroupId"]
        record = self._groups(group["GroupId"])["groups"].get(pgid)
        if record is None:
            raise st.ApiError(GONE, "permission group %s does not exist in group %s"
                              % (pgid, group["GroupId"]))
        return group, record

    # permission groups ------------------------------------------------------------------------
    def create_permission_group(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupName", "Permission"),
                      ("PermissionGroupId", "CustomString"))
        _string(body, "GroupId")
        name = _string(body, "PermissionGroupName", limit=MAX_NAME_BYTES)
        perm = _permission(body, "Permission", COMMUNITY_PERMISSION_BITS, "community")
        custom = ""
        if "CustomString" in body:
            custom = _string(body, "CustomString", allow_empty=True, limit=MAX_CUSTOM_STRING_BYTES)
        pgid = None
        if "PermissionGroupId" in body:
            pgid = _string(body, "PermissionGroupId")
            check_custom_permission_group_id(pgid)
        with self.state.lock:
            group = self._community(body)
            community = self._groups(group["GroupId"], create=True)
            if pgid is not None and pgid in community["groups"]:
                raise st.ApiError(ID_IN_USE, "permission group id %s is already in use" % pgid)
            if len(community["groups"]) >= MAX_PERMISSION_GROUPS:
                raise _bad("community %s already has %d permission groups (limit %d)"
                           % (group["GroupId"], len(community["groups"]), MAX_PERMISSION_GROUPS))
            assigned = pgid is None
            while pgid is None or pgid in community["groups"]:
                pgid = AUTO_PMG_PREFIX + "c" + "".join(_sysrand.choice(_ID_CHARS) for _i in range(11))
            community["groups"][pgid] = {
                "PermissionGroupId": pgid, "PermissionGroupName": name, "Permission": perm,
                "CustomString": custom, "Seq": community["next_seq"], "NextMemberSeq": 1,
                "Members": {}, "TopicPermissions": {},
            }
            community["next_seq"] += 1
            self.state.save()
        return ({"PermissionGroupId": pgid} if assigned else {}), True

    def modify_permission_group(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupId"),
                      ("PermissionGroupName", "Permission", "CustomString"))
        _string(body, "GroupId")
        _string(body, "PermissionGroupId")
        updates = {}
        if "PermissionGroupName" in body:
            updates["PermissionGroupName"] = _string(body, "PermissionGroupName", limit=MAX_NAME_BYTES)
        if "Permission" in body:
            updates["Permission"] = _permission(body, "Permission", COMMUNITY_PERMISSION_BITS, "community")
        if "CustomString" in body:
            updates["CustomString"] = _string(body, "CustomString", allow_empty=True,
                                              limit=MAX_CUSTOM_STRING_BYTES)
        with self.state.lock:
            _group, record = self._permission_group(body)
            changed = dict((k, v) for k, v in updates.items() if record[k] != v)
            if changed:
                record.update(changed)
                self.state.save()
        return {}, bool(changed)

    def destroy_permission_group(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupIdList"), ())
        _string(body, "GroupId")
        ids = _string_array(body, "PermissionGroupIdList", MAX_DESTROY_PER_CALL)
        results = []
        destroyed = 0
        with self.state.lock:
            group = self._community(body)
            community = self._groups(group["GroupId"])
            for pgid in ids:
                if community["groups"].pop(pgid, None) is None:
                    results.append(_fail(GONE, "permission group %s does not exist" % pgid,
                                         PermissionGroupId=pgid))
                else:
                    destroyed += 1
                    results.append(_ok(PermissionGroupId=pgid))
            if destroyed:
                self.state.save()
        return {"PermissionGroupResultList": results}, destroyed > 0

    @staticmethod
    def _info(record):
        return _ok(PermissionGroupId=record["PermissionGroupId"],
                   PermissionGroupName=record["PermissionGroupName"],
                   CustomString=record["CustomString"], Permission=record["Permission"],
                   MemberCount=len(record["Members"]))

    def get_permission_group(self, body):
        _check_fields(body, ("GroupId",), ("PermissionGroupIdList", "Limit", "Next"))
        _string(body, "GroupId")
        ids = []
        if "PermissionGroupIdList" in body:
            ids = _string_array(body, "PermissionGroupIdList", MAX_GET_PER_CALL, allow_empty=True)
        if ids:
            for key in ("Limit", "Next"):
                if key in body:
                    raise _bad("%s is for listing all permission groups; do not send it with a "
                               "non-empty PermissionGroupIdList" % key)
        else:
            if "Limit" not in body:
                raise _bad("Limit is required when listing all permission groups (1-%d)" % MAX_GET_PER_CALL)
            limit = _limit(body, "Limit", MAX_GET_PER_CALL)
            after = _decode_cursor(body, "pmg")
        with self.state.lock:
            group = self._community(body)
            groups = self._groups(group["GroupId"])["groups"]
            if ids:
                items = []
                for pgid in ids:
                    record = groups.get(pgid)
                    if record is None:
                        items.append(_fail(GONE, "permission group %s does not exist" % pgid,
                                           PermissionGroupId=pgid))
                    else:
                        items.append(self._info(record))
                return {"PermissionGroupInfoList": items}, False
            records = [(r["Seq"], self._info(r)) for r in groups.values()]
            items, nxt = _page(records, after, limit, "pmg")
        return {"Next": nxt, "PermissionGroupInfoList": items}, False

    # topic permissions ------------------------------------------------------------------------
    def add_topic_permission_group(self, body):
        return self._write_topic_permissions(body, "add", "TopicPermissionList", _topic_permissions, _store_entry)

    def set_topic_permission_group(self, body):
        return self._write_topic_permissions(body, "set", "TopicPermissionList", _topic_permissions, _store_entry)

    def delete_topic_permission_group(self, body):
        return self._write_topic_permissions(body, "delete", "TopicIdList", _topic_ids, _delete_entry)

    def _write_topic_permissions(self, body, verb, list_field, read_items, apply):
        """The three topic-permission writes: each topic is answered on its own (it must exist, and its entry must
        not exist for add, must exist for set and delete); apply(table, topic_id, value) says whether it changed."""
        _check_fields(body, ("GroupId", "PermissionGroupId", list_field), ())
        _string(body, "GroupId")
        _string(body, "PermissionGroupId")
        items = read_items(body)
        results = []
        changed = False
        with self.state.lock:
            group, record = self._permission_group(body, need_topics=True)
            for tid, value in items:
                failure = _topic_entry_failure(verb, group, record, tid)
                if failure:
                    results.append(failure)
                    continue
                changed = apply(record["TopicPermissions"], tid, value) or changed
                results.append(_ok(TopicId=tid))
            if changed:
                self.state.save()
        return {"TopicPermissionResultList": results}, changed

    def get_topic_permission_group(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupId"), ("TopicIdList",))
        _string(body, "GroupId")
        _string(body, "PermissionGroupId")
        ids = []
        if "TopicIdList" in body:
            ids = _string_array(body, "TopicIdList", allow_empty=True)
        with self.state.lock:
            group, record = self._permission_group(body, need_topics=True)
            table = record["TopicPermissions"]
            if not ids:
                items = [_ok(TopicId=tid, Permission=perm) for tid, perm in table.items()]
            else:
                items = []
                for tid in ids:
                    if tid not in group["topics"]:
                        items.append(_fail(TOPIC_DELETED, "topic %s does not exist or has been deleted" % tid,
                                           TopicId=tid))
                    elif tid not in table:
                        items.append(_fail(INVALID_PARAM, "topic %s has no permission entry in permission "
                                           "group %s" % (tid, record["PermissionGroupId"]), TopicId=tid))
                    else:
                        items.append(_ok(TopicId=tid, Permission=table[tid]))
        return {"TopicPermissionResultList": items}, False

    # members ----------------------------------------------------------------------------------
    def add_permission_group_member(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupId", "MemberList"), ())
        _string(body, "GroupId")
        _string(body, "PermissionGroupId")
        accounts = _members(body)
        results = []
        added = 0
        with self.state.lock:
            _group, record = self._permission_group(body)
            for account in accounts:
                if account in record["Members"]:
                    results.append({"Member_Account": account, "Result": ALREADY_MEMBER})
                else:
                    record["Members"][account] = record["NextMemberSeq"]
                    record["NextMemberSeq"] += 1
                    added += 1
                    results.append({"Member_Account": account, "Result": 0})
            if added:
                self.state.save()
        return {"MemberList": results}, added > 0

    def delete_permission_group_member(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupId", "MemberList"), ())
        _string(body, "GroupId")
        _string(body, "PermissionGroupId")
        accounts = _members(body)
        removed = 0
        with self.state.lock:
            _group, record = self._permission_group(body)
            for account in accounts:
                if record["Members"].pop(account, None) is not None:
                    removed += 1
            if removed:
                self.state.save()
        return {}, removed > 0

    def get_permission_group_member_list(self, body):
        _check_fields(body, ("GroupId", "PermissionGroupId"), ("Limit", "Next"))
        _string(body, "GroupId")
        _string(body, "PermissionGroupId")
        limit = DEFAULT_MEMBER_PAGE
        if "Limit" in body:
            limit = _limit(body, "Limit", MAX_MEMBER_PAGE)
        after = _decode_cursor(body, "member")
        with self.state.lock:
            _group, record = self._permission_group(body)
            records = [(seq, {"Member_Account": account}) for account, seq in record["Members"].items()]
            items, nxt = _page(records, after, limit, "member")
        return {"Next": nxt, "MemberList": items}, False

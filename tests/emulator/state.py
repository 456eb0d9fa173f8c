"""In-memory model of groups (communities), their topics and the imported accounts, topic request
validation and persistence.  The group commands live in groups.py, the account commands in
accounts.py; they use this model (its lock, its dicts, ``save()``).

Everything here is independent of HTTP.  Each API operation raises ``ApiError(code, info)`` on a
request-level failure; successful operations return ``(response_fields, changed)`` where ``changed``
tells the server whether a state change was committed (for stats, persistence and drop faults).

Error codes come from the seeds / reference pages (see README.md for the reasoning).
"""

import copy
import json
import os
import random
import string
import tempfile
import threading
import time

# --- error codes -------------------------------------------------------------------------------
INTERNAL = 10002
INVALID_COMMAND = 10003
INVALID_PARAM = 10004
PERMISSION = 10007
GROUP_GONE = 10010            # group (or, for modify_topic, topic) does not exist / deleted
INVALID_GROUP_ID = 10015
WEBHOOK_REFUSED = 10016
ID_IN_USE = 10021             # topic id / group id already used
GROUP_ID_USED_BY_OWNER = 10025
TOPIC_QUOTA = 10037
TOPICS_NOT_ENABLED = 11000
TOPIC_DELETED = 110003

# --- limits (UTF-8 bytes) ----------------------------------------------------------------------
TOPIC_FIELD_LIMITS = (
    ("TopicName", 30),
    ("CustomString", 3000),
    ("FaceUrl", 100),
    ("Notification", 300),
    ("Introduction", 240),
)
GROUP_FIELD_LIMITS = (("Name", 30), ("Introduction", 240), ("Notification", 300), ("FaceUrl", 100))
MAX_TOPICS_PER_COMMUNITY = 200
MAX_TOPIC_ID_BYTES = 96
MAX_GROUP_ID_BYTES = 48          # "a length less than 48 bytes" (group-system.md)
COMMUNITY_PREFIX = "@TGS#_"
TOPIC_SEP = "@TOPIC#_"
AUTO_TOPIC_MARK = "@TOPIC#_@TOPIC#"
GROUP_TYPES = ("Private", "Public", "ChatRoom", "AVChatRoom", "Community", "Work", "Meeting")

TOPIC_INFO_FIELDS = ("TopicName", "GroupID", "FaceUrl", "TopicId", "NextMsgSeq", "Notification",
                     "Introduction", "CreateTime", "LastMsgTime", "MuteAllMember", "CustomString")
ALWAYS_RETURNED = ("TopicId", "GroupID")

_ID_CHARS = string.ascii_uppercase + string.digits
_sysrand = random.SystemRandom()


class ApiError(Exception):
    def __init__(self, code, info):
        Exception.__init__(self, "%d: %s" % (code, info))
        self.code = code
        self.info = info


# --- field helpers -----------------------------------------------------------------------------
def _utf8_len(text):
    return len(text.encode("utf-8"))


def _printable_ascii(text):
    return all(0x20 <= ord(c) <= 0x7e for c in text)


def _req_str(body, key, allow_empty=False):
    if key not in body or body[key] is None:
        raise ApiError(INVALID_PARAM, "%s is required" % key)
    val = body[key]
    if not isinstance(val, str):
        raise ApiError(INVALID_PARAM, "%s must be a string" % key)
    if not allow_empty and val == "":
        raise ApiError(INVALID_PARAM, "%s must not be empty" % key)
    return val


def _opt_str(body, key):
    if key not in body or body[key] is None:
        return None
    val = body[key]
    if not isinstance(val, str):
        raise ApiError(INVALID_PARAM, "%s must be a string" % key)
    return val


def _check_limit(key, val, limit):
    n = _utf8_len(val)
    if n > limit:
        raise ApiError(INVALID_PARAM, "%s is %d bytes (UTF-8); the limit is %d bytes" % (key, n, limit))


def _account(body, key, required=False):
    """From_Account / Owner_Account: documented as uint64 but sent as a string in every sample."""
    if key not in body or body[key] is None or body[key] == "":
        if required:
            raise ApiError(INVALID_PARAM, "%s is required" % key)
        return None
    val = body[key]
    if isinstance(val, bool) or not isinstance(val, (str, int)):
        raise ApiError(INVALID_PARAM, "%s must be a string" % key)
    return str(val)


def _rand_id(n=11):
    return "c" + "".join(_sysrand.choice(_ID_CHARS) for _position in range(n))


def check_custom_topic_id(group_id, topic_id):
    """Custom TopicId rules (group-system.md "Custom Topic IDs"). Raises ApiError(10004)."""
    prefix = group_id + TOPIC_SEP
    if not topic_id.startswith(prefix):
        raise ApiError(INVALID_PARAM, "TopicId must be GroupId + '%s' + custom part" % TOPIC_SEP)
    custom = topic_id[len(prefix):]
    if custom == "":
        raise ApiError(INVALID_PARAM, "TopicId custom part is empty")
    if not _printable_ascii(custom):
        raise ApiError(INVALID_PARAM, "TopicId custom part must be printable ASCII (0x20-0x7e)")
    if COMMUNITY_PREFIX in custom:
        raise ApiError(INVALID_PARAM, "TopicId custom part must not contain '%s'" % COMMUNITY_PREFIX)
    if AUTO_TOPIC_MARK in custom:
        raise ApiError(INVALID_PARAM, "TopicId custom part must not contain '%s'" % AUTO_TOPIC_MARK)
    n = _utf8_len(topic_id)
    if n > MAX_TOPIC_ID_BYTES:
        raise ApiError(INVALID_PARAM, "TopicId is %d bytes; the limit is %d bytes" % (n, MAX_TOPIC_ID_BYTES))


# --- group records -----------------------------------------------------------------------------
# Defaults of a new group (group-system.md "Group basic information", create-group.md):
# MaxMemberNum is the plan's limit.  Communities need the Ultimate edition (group-system.md), so the
# emulator is an Ultimate app without value-added services: 2,000 members for Work/Public/Meeting
# groups, 100,000 for a Community; an AVChatRoom has no limit and reports 0.
MAX_MEMBERS = {"Private": 2000, "Work": 2000, "Public": 2000, "ChatRoom": 2000, "Meeting": 2000,
               "Community": 100000, "AVChatRoom": None}
# get_appid_group_list's Next is a 64-bit value (get-appid-group-list.md): the emulator's listing
# positions start above 2**32 so that a client reading it as 32-bit sees the overflow.
LIST_SEQ_BASE = 1 << 32


def new_group(gid, gtype, now):
    """A group record with every field get_group_info returns, at its default."""
    return {
        "GroupId": gid, "Type": gtype, "Name": "", "Introduction": "", "Notification": "", "FaceUrl": "",
        "Owner_Account": "", "CreateTime": now, "InfoSeq": 1, "LastInfoTime": now, "LastMsgTime": 0,
        "NextMsgSeq": 1, "MaxMemberNum": MAX_MEMBERS.get(gtype) or 0,
        # Community: "Community groups currently do not support this field" and members join with no
        # approval (group-system.md), i.e. FreeAccess; other types default to NeedPermission.
        "ApplyJoinOption": "FreeAccess" if gtype == "Community" else "NeedPermission",
        "MuteAllMember": "Off", "SupportTopic": 0, "AppDefinedData": [], "MemberList": [],
    }


# --- the model ---------------------------------------------------------------------------------
class State(object):
    def __init__(self, state_file=None):
        self.lock = threading.RLock()
        self.state_file = state_file
        self.groups = {}     # GroupId -> group dict (with "topics": {TopicId: topic}), insertion ordered
        self.accounts = {}   # UserID -> {"UserID", "Nick"?, "FaceUrl"?} (account_import)
        self.next_seq = LIST_SEQ_BASE + 1
        from .permissions import PermissionStore  # late import: permissions.py imports this module
        self.permissions = PermissionStore(self)
        if state_file and os.path.exists(state_file):
            self.load(state_file)

    def take_seq(self):
        """Listing position of a new group (get_appid_group_list paging). Caller holds the lock."""
        seq = self.next_seq
        self.next_seq += 1
        return seq

    # persistence ---------------------------------------------------------------------------
    def to_json(self):
        with self.lock:
            groups = []
            for g in self.groups.values():
                gd = dict((k, copy.deepcopy(v)) for k, v in g.items() if k != "topics")
                gd["Topics"] = [copy.deepcopy(t) for t in g["topics"].values()]
                groups.append(gd)
            return {"version": 2, "next_seq": self.next_seq, "groups": groups,
                    "accounts": [dict(a) for a in self.accounts.values()],
                    "permission_groups": self.permissions.to_json()}

    def load(self, path):
        """Load a state file (version 1 files, from before group profiles, get their defaults)."""
        with open(path, "r", encoding="utf-8") as fh:
            data = json.load(fh)
        with self.lock:
            self.groups = {}
            self.next_seq = max(int(data.get("next_seq", 0)), LIST_SEQ_BASE + 1)
            for gd in data.get("groups", []):
                g = new_group(gd["GroupId"], gd["Type"], gd.get("CreateTime", int(time.time())))
                g.update((k, v) for k, v in gd.items() if k != "Topics")
                if "_seq" not in g:
                    g["_seq"] = self.take_seq()
                g["topics"] = {}
                for t in gd.get("Topics", []):
                    g["topics"][t["TopicId"]] = dict(t)
                self.groups[g["GroupId"]] = g
            self.accounts = dict((a["UserID"], dict(a)) for a in data.get("accounts", []))
            self.permissions.load(data.get("permission_groups"))

    def save(self):
        """Atomic save (tmp file in the same directory + rename). Caller holds the lock or not."""
        if not self.state_file:
            return
        with self.lock:
            data = self.to_json()
            directory = os.path.dirname(os.path.abspath(self.state_file))
            fd, tmp = tempfile.mkstemp(prefix=".emulator-state-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, ensure_ascii=False, indent=1)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.state_file)
            except Exception:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise

    def reset(self):
        with self.lock:
            self.groups = {}
            self.accounts = {}
            self.next_seq = LIST_SEQ_BASE + 1
            self.permissions.reset()
            self.save()

    def _topic_group(self, body):
        """Resolve GroupId for the topic APIs. Caller holds the lock."""
        gid = _req_str(body, "GroupId")
        group = self.groups.get(gid)
        if group is None:
            if not _printable_ascii(gid) or not gid.startswith(COMMUNITY_PREFIX):
                raise ApiError(INVALID_GROUP_ID, "GroupId %s is not a valid community group id" % gid)
            raise ApiError(GROUP_GONE, "group %s does not exist or has been deleted" % gid)
        if group["Type"] != "Community" or not group.get("SupportTopic"):
            raise ApiError(TOPICS_NOT_ENABLED, "group %s does not support topics" % gid)
        return group

    # topics --------------------------------------------------------------------------------
    def prepare_topic(self, body, is_import=False):
        """Validate a create_topic / import_topic body; return the prepared record (no id yet if
        the server assigns it).  Does not write."""
        if is_import and body.get("Type") is not None and body.get("Type") != "Community":
            raise ApiError(INVALID_PARAM, "Type must be Community")
        record = {"MuteAllMember": "Off", "NextMsgSeq": 1, "LastMsgTime": 0,
                  "FaceUrl": "", "Notification": "", "Introduction": "", "CustomString": ""}
        record["TopicName"] = _req_str(body, "TopicName")
        for key, limit in TOPIC_FIELD_LIMITS:
            val = _opt_str(body, key)
            if val is not None:
                _check_limit(key, val, limit)
                record[key] = val
        record["From_Account"] = _account(body, "From_Account") or ""
        create_time = None
        if is_import and body.get("CreateTime") is not None:
            create_time = body["CreateTime"]
            if isinstance(create_time, bool) or not isinstance(create_time, int) or create_time < 0:
                raise ApiError(INVALID_PARAM, "CreateTime must be a non-negative integer (UTC seconds)")
        record["CreateTime"] = create_time
        topic_id = _opt_str(body, "TopicId")
        with self.lock:
            group = self._topic_group(body)
            record["GroupID"] = group["GroupId"]
            if topic_id is not None:
                if topic_id == "":
                    raise ApiError(INVALID_PARAM, "TopicId must not be empty")
                check_custom_topic_id(group["GroupId"], topic_id)
                if topic_id in group["topics"]:
                    raise ApiError(ID_IN_USE, "topic id %s is already in use" % topic_id)
            record["TopicId"] = topic_id
            if len(group["topics"]) >= MAX_TOPICS_PER_COMMUNITY:
                raise ApiError(TOPIC_QUOTA, "community %s already has %d topics (limit %d)"
                               % (group["GroupId"], len(group["topics"]), MAX_TOPICS_PER_COMMUNITY))
            record["_Owner_Account"] = group.get("Owner_Account", "")
        return record

    def commit_topic(self, record):
        """Commit a prepared record (re-checking what may have changed meanwhile)."""
        record = dict(record)
        record.pop("_Owner_Account", None)
        with self.lock:
            group = self._topic_group({"GroupId": record["GroupID"]})
            if len(group["topics"]) >= MAX_TOPICS_PER_COMMUNITY:
                raise ApiError(TOPIC_QUOTA, "community %s already has %d topics (limit %d)"
                               % (group["GroupId"], len(group["topics"]), MAX_TOPICS_PER_COMMUNITY))
            tid = record["TopicId"]
            if tid is not None and tid in group["topics"]:
                raise ApiError(ID_IN_USE, "topic id %s is already in use" % tid)
            if tid is None:
                tid = group["GroupId"] + AUTO_TOPIC_MARK + _rand_id()
                while tid in group["topics"]:
                    tid = group["GroupId"] + AUTO_TOPIC_MARK + _rand_id()
                record["TopicId"] = tid
            if record["CreateTime"] is None:
                record["CreateTime"] = int(time.time())
            group["topics"][tid] = record
            self.save()
            return dict(record)

    def get_topic(self, body):
        with self.lock:
            group = self._topic_group(body)
            _account(body, "From_Account", required=True)
            ids = body.get("TopicIdList")
            if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
                raise ApiError(INVALID_PARAM, "TopicIdList must be an array of strings")
            flt = body.get("ResponseFilter")
            if flt is not None and (not isinstance(flt, list) or not all(isinstance(i, str) for i in flt)):
                raise ApiError(INVALID_PARAM, "ResponseFilter must be an array of strings")
            fields = TOPIC_INFO_FIELDS
            if flt:
                fields = [f for f in TOPIC_INFO_FIELDS if f in flt or f in ALWAYS_RETURNED]
            if not ids:
                ids = list(group["topics"].keys())
            items = []
            for tid in ids:
                topic = group["topics"].get(tid)
                if topic is None:
                    items.append({"ErrorCode": TOPIC_DELETED,
                                  "ErrorInfo": "topic %s does not exist or has been deleted" % tid,
                                  "TopicInfo": {"TopicId": tid, "GroupID": group["GroupId"]}})
                    continue
                items.append({
                    "ErrorCode": 0, "ErrorInfo": "ok",
                    "SelfInfo": {"ShutUpTime": 0, "MsgSeq": 0, "MsgFlag": "AcceptAndNotify"},
                    "TopicInfo": dict((f, topic[f]) for f in fields),
                })
        return {"ErrorInfo": "ok", "TopicAndSelfInfo": items}, False

    def modify_topic(self, body):
        """Returns ({}, changed_fields_dict)."""
        updates = {}
        name = _opt_str(body, "TopicName")
        if name is not None and name == "":
            raise ApiError(INVALID_PARAM, "TopicName must not be empty")
        for key, limit in TOPIC_FIELD_LIMITS:
            val = _opt_str(body, key)
            if val is not None:
                _check_limit(key, val, limit)
                updates[key] = val
        mute = body.get("MuteAllMember")
        if mute is not None:
            if mute not in ("On", "Off"):
                raise ApiError(INVALID_PARAM, "MuteAllMember must be On or Off")
            updates["MuteAllMember"] = mute
        _account(body, "From_Account")
        tid = _req_str(body, "TopicId")
        with self.lock:
            group = self._topic_group(body)
            topic = group["topics"].get(tid)
            if topic is None:
                raise ApiError(GROUP_GONE, "topic %s does not exist or has been deleted" % tid)
            changed = dict((k, v) for k, v in updates.items() if topic.get(k) != v)
            if changed:
                topic.update(changed)
                self.save()
        return {"ErrorInfo": "ok"}, changed

    def destroy_topic(self, body):
        """Returns (response_fields, list_of_destroyed_ids)."""
        with self.lock:
            group = self._topic_group(body)
            ids = body.get("TopicIdList")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise ApiError(INVALID_PARAM, "TopicIdList is required: a non-empty array of strings")
            items = []
            destroyed = []
            for tid in ids:
                if tid in group["topics"]:
                    del group["topics"][tid]
                    destroyed.append(tid)
                    items.append({"ErrorCode": 0, "ErrorInfo": "ok", "TopicId": tid})
                else:
                    items.append({"ErrorCode": TOPIC_DELETED,
                                  "ErrorInfo": "topic %s does not exist or has been deleted" % tid,
                                  "TopicId": tid})
            if destroyed:
                self.permissions.drop_topics(group["GroupId"], destroyed)
                self.save()
        return {"ErrorInfo": "ok", "DestroyResultItem": items}, destroyed

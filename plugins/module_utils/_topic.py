# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topic model of tim.chat: option names <-> API names, validation, lookup, comparison, plans.

Private to the tim.chat collection: not a public API, may change without notice.
Pure functions only: nothing here talks to the network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

# Text: str, and unicode on Python 2.7 targets (ansible-core 2.16). Not ansible.module_utils.six: ansible-core 2.21
# deprecates it and its sanity test rejects it.
STRING_TYPES = (str, type(b"".decode("ascii")))

MAX_TOPICS_PER_COMMUNITY = 200
TOPIC_ID_MAX_BYTES = 96
COMMUNITY_PREFIX = "@TGS#_"
TOPIC_MARK = "@TOPIC#_"
SERVER_ASSIGNED_MARK = "@TOPIC#_@TOPIC#"

# Profile fields that can be compared with what get_topic returns: (option, API name, max UTF-8 bytes).
PROFILE_FIELDS = (
    ("topic_name", "TopicName", 30),
    ("custom_string", "CustomString", 3000),
    ("face_url", "FaceUrl", 100),
    ("notification", "Notification", 300),
    ("introduction", "Introduction", 240),
)
# Fields only the server sets: (option, API name).
SERVER_FIELDS = (("create_time", "CreateTime"), ("last_msg_time", "LastMsgTime"), ("next_msg_seq", "NextMsgSeq"),
                 ("mute_all_member", "MuteAllMember"))
COMPARED_OPTIONS = tuple(option for option, _api, _limit in PROFILE_FIELDS) + ("mute_all_member",)

# Keys that tim_topic_info returns but that describe server state; accepted in input and ignored.
READ_ONLY_KEYS = ("group_id", "last_msg_time", "next_msg_seq", "self_info")


def topic_suboptions(extra=None):
    """Argument spec of one topic (single-topic options and each item of ``topics``)."""
    spec = dict(
        topic_id=dict(type="str"),
        topic_name=dict(type="str"),
        from_account=dict(type="str"),
        custom_string=dict(type="str"),
        face_url=dict(type="str"),
        notification=dict(type="str"),
        introduction=dict(type="str"),
    )
    spec.update(extra or {})
    return spec


def read_only_suboptions():
    return dict((key, dict(type="raw")) for key in READ_ONLY_KEYS)


# --- conversion ----------------------------------------------------------------------------------


def topic_from_api(info, self_info=None):
    """One get_topic ``TopicInfo`` (+ ``SelfInfo``) as a snake_case dict."""
    topic = dict(
        topic_id=info.get("TopicId"),
        group_id=info.get("GroupID", info.get("GroupId")),
    )
    for option, api_name, _limit in PROFILE_FIELDS:
        if api_name in info:
            topic[option] = info[api_name]
    for option, api_name in SERVER_FIELDS:
        if api_name in info:
            topic[option] = info[api_name]
    if "MuteAllMember" in info:
        topic["mute_all_member"] = info["MuteAllMember"] == "On"
    if self_info is not None:
        topic["self_info"] = dict(
            shut_up_time=self_info.get("ShutUpTime"),
            msg_seq=self_info.get("MsgSeq"),
            msg_flag=self_info.get("MsgFlag"),
        )
    return topic


def response_filter(options):
    """get_topic ResponseFilter for the given option names (None: every field)."""
    if not options:
        return None
    api_names = dict((option, api_name) for option, api_name, _limit in PROFILE_FIELDS)
    api_names.update(SERVER_FIELDS)
    return [api_names[option] for option in options]


def sort_topics(topics):
    return sorted(topics, key=lambda topic: (topic.get("topic_name") or "", topic.get("topic_id") or ""))


def create_payload(group_id, wanted):
    """create_topic/import_topic body: the fields the user gave, nothing else."""
    body = dict(GroupId=group_id)
    if wanted.get("topic_id"):
        body["TopicId"] = wanted["topic_id"]
    for option, api_name, _limit in PROFILE_FIELDS:
        if wanted.get(option) is not None:
            body[api_name] = wanted[option]
    if wanted.get("from_account"):
        body["From_Account"] = wanted["from_account"]
    return body


def modify_payload(group_id, topic_id, changes, from_account=None):
    """modify_topic body with only the fields in ``changes`` ({option: new value})."""
    body = dict(GroupId=group_id, TopicId=topic_id)
    api_names = dict((option, api_name) for option, api_name, _limit in PROFILE_FIELDS)
    for option, value in changes.items():
        if option == "mute_all_member":
            body["MuteAllMember"] = "On" if value else "Off"
        else:
            body[api_names[option]] = value
    if from_account:
        body["From_Account"] = from_account
    return body


# --- validation ----------------------------------------------------------------------------------


def label(topic, index=None):
    """How a topic is named in messages: its id and/or name, and its place in the list."""
    parts = []
    if topic.get("topic_name") is not None:
        parts.append("'%s'" % topic["topic_name"])
    if topic.get("topic_id"):
        parts.append("(id %s)" % topic["topic_id"])
    text = "topic " + " ".join(parts) if parts else "topic without name or id"
    if index is not None:
        text = "topics[%d] %s" % (index, text)
    return text


def byte_length(value):
    return len(value.encode("utf-8"))


def custom_topic_id_error(group_id, topic_id):
    """Why ``topic_id`` cannot be created as a custom topic ID of ``group_id``, or None."""
    prefix = group_id + TOPIC_MARK
    if not topic_id.startswith(prefix):
        return "a custom topic_id must be the group ID followed by '@TOPIC#_' and a custom part (%s...)" % prefix
    custom = topic_id[len(prefix):]
    if not custom:
        return "the custom part after '%s' is empty" % prefix
    if custom.startswith("@TOPIC#"):
        return "the custom part must not make the ID look server-assigned ('@TOPIC#_@TOPIC#')"
    if COMMUNITY_PREFIX in custom or SERVER_ASSIGNED_MARK in custom:
        return "the custom part must not contain '@TGS#_' or '@TOPIC#_@TOPIC#'"
    bad = [char for char in custom if not 0x20 <= ord(char) <= 0x7E]
    if bad:
        return "the custom part must be printable ASCII (0x20-0x7e); %r is not" % bad[0]
    if byte_length(topic_id) > TOPIC_ID_MAX_BYTES:
        return "the whole topic ID is %d bytes, more than %d" % (byte_length(topic_id), TOPIC_ID_MAX_BYTES)
    return None


def is_server_assigned(topic_id):
    return SERVER_ASSIGNED_MARK in (topic_id or "")


def field_errors(topic):
    """Type and UTF-8 byte-limit problems of one wanted topic's profile fields."""
    errors = []
    for option, _api_name, limit in PROFILE_FIELDS:
        value = topic.get(option)
        if value is None:
            continue
        if not isinstance(value, STRING_TYPES):
            errors.append("%s must be a string" % option)
        elif byte_length(value) > limit:
            errors.append("%s is %d bytes in UTF-8, more than the %d allowed" % (option, byte_length(value), limit))
    if topic.get("topic_name") is not None and not topic["topic_name"].strip():
        errors.append("topic_name must not be empty")
    return errors


def validate_group_id(group_id):
    if not group_id.startswith(COMMUNITY_PREFIX):
        return "group_id '%s' is not a community: community group IDs start with '%s'" % (group_id, COMMUNITY_PREFIX)
    return None


def validate_wanted(group_id, topics, state, listed=True):
    """Every problem in the wanted topics, as messages that name the item and the rule."""
    errors = []
    ids = {}
    names = {}
    for index, topic in enumerate(topics):
        where = label(topic, index if listed else None)
        if not topic.get("topic_id") and topic.get("topic_name") is None:
            errors.append("%s: give topic_id or topic_name" % where)
            continue
        errors.extend("%s: %s" % (where, problem) for problem in field_errors(topic))
        topic_id = topic.get("topic_id")
        if topic_id is not None and not topic_id.startswith(group_id + TOPIC_MARK):
            errors.append("%s: topic_id does not belong to group %s (it must start with '%s')"
                          % (where, group_id, group_id + TOPIC_MARK))
        if state == "present" and topic.get("create_time") is not None:
            create_time = topic["create_time"]
            if not isinstance(create_time, int) or create_time < 0 or create_time > time.time() + 60:
                errors.append("%s: create_time must be unix seconds between 0 and now" % where)
        if topic_id:
            if topic_id in ids:
                errors.append("%s: topic_id is listed twice (also topics[%d])" % (where, ids[topic_id]))
            ids[topic_id] = index
        if topic.get("topic_name") is not None:
            name = topic["topic_name"]
            if name in names:
                errors.append("%s: topic_name is listed twice (also topics[%d])" % (where, names[name]))
            names[name] = index
    return errors


# --- lookup and comparison -----------------------------------------------------------------------


class DuplicateName(ValueError):
    pass


class TopicIndex:
    """The topics of one community as read, found by id or by exact name."""

    def __init__(self, existing):
        self.topics = list(existing)
        self.by_id = dict((topic["topic_id"], topic) for topic in self.topics)
        self.by_name = {}
        for topic in self.topics:
            self.by_name.setdefault(topic.get("topic_name"), []).append(topic)

    def find(self, wanted):
        """The existing topic ``wanted`` refers to, or None; DuplicateName when a name is ambiguous."""
        if wanted.get("topic_id"):
            return self.by_id.get(wanted["topic_id"])
        matches = self.by_name.get(wanted.get("topic_name"), [])
        if len(matches) > 1:
            raise DuplicateName(
                "%d existing topics are named '%s' (%s): give topic_id to say which one"
                % (len(matches), wanted["topic_name"], ", ".join(topic["topic_id"] for topic in matches))
            )
        return matches[0] if matches else None


def differences(wanted, current):
    """{option: (current, wanted)} for every option the user gave that differs from the topic."""
    changes = {}
    for option in COMPARED_OPTIONS:
        value = wanted.get(option)
        if value is None:
            continue
        before = current.get(option, False if option == "mute_all_member" else "")
        if before != value:
            changes[option] = (before, value)
    return changes


class Plan:
    """What a run must do to a community, worked out before the first write."""

    def __init__(self):
        self.creates = []  # wanted topic dicts
        self.modifies = []  # (topic_id, {option: (before, after)}, from_account)
        self.deletes = []  # existing topic dicts
        self.unchanged = []  # existing topic dicts
        self.matches = []  # (wanted, existing topic or None) for state=present, in input order

    @property
    def changed(self):
        return bool(self.creates or self.modifies or self.deletes)

    def diff(self):
        before, after = {}, {}
        for topic in self.deletes:
            before[topic_key(topic)] = dict((option, topic.get(option)) for option in COMPARED_OPTIONS
                                            if option in topic)
        for wanted in self.creates:
            after[topic_key(wanted)] = dict((option, wanted[option]) for option in COMPARED_OPTIONS
                                            if wanted.get(option) is not None)
        for topic_id, changes, _from in self.modifies:
            before[topic_id] = dict((option, old) for option, (old, _new) in changes.items())
            after[topic_id] = dict((option, new) for option, (_old, new) in changes.items())
        return dict(before=before, after=after)


def topic_key(topic):
    return topic.get("topic_id") or "new topic '%s'" % topic.get("topic_name")


def plan_changes(group_id, wanted_topics, existing_topics, state, purge):
    """Work out the Plan; raise ValueError naming the topic and the rule when it cannot be done."""
    index = TopicIndex(existing_topics)
    plan = Plan()
    matched = set()
    problems = []
    for position, wanted in enumerate(wanted_topics):
        try:
            current = index.find(wanted)
        except DuplicateName as exc:
            problems.append("%s: %s" % (label(wanted, position), exc))
            continue
        if current is not None:
            if current["topic_id"] in matched:
                problems.append("%s: refers to the same existing topic %s as another item"
                                % (label(wanted, position), current["topic_id"]))
                continue
            matched.add(current["topic_id"])
        if state == "absent":
            if current is not None:
                plan.deletes.append(current)
            continue
        plan.matches.append((wanted, current))
        if current is None:
            problem = creation_problem(group_id, wanted)
            if problem:
                problems.append("%s: %s" % (label(wanted, position), problem))
                continue
            plan.creates.append(wanted)
            continue
        changes = differences(wanted, current)
        if changes:
            plan.modifies.append((current["topic_id"], changes, wanted.get("from_account")))
        else:
            plan.unchanged.append(current)
    if state == "present" and purge:
        plan.deletes.extend(topic for topic in index.topics if topic["topic_id"] not in matched)
    if problems:
        raise ValueError("; ".join(problems))
    total = len(index.topics) - len(plan.deletes) + len(plan.creates)
    if total > MAX_TOPICS_PER_COMMUNITY:
        raise ValueError(
            "group %s would hold %d topics, more than the %d a community can have (%d exist, %d to create%s)"
            % (group_id, total, MAX_TOPICS_PER_COMMUNITY, len(index.topics), len(plan.creates),
               ", %d to delete" % len(plan.deletes) if plan.deletes else "")
        )
    return plan


def creation_problem(group_id, wanted):
    """Why ``wanted`` (not found in the community) cannot be created, or None."""
    if wanted.get("topic_name") is None:
        return "does not exist, and topic_name is required to create it"
    topic_id = wanted.get("topic_id")
    if topic_id:
        if is_server_assigned(topic_id):
            return ("does not exist, and a server-assigned topic ID cannot be chosen when creating; "
                    "leave topic_id out to get a new ID")
        return custom_topic_id_error(group_id, topic_id)
    return None

# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the topic kind: its fields and API names, limits, ID rules, and its read/create/import/modify/delete calls.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers
import time

from ansible_collections.tim.chat.plugins.module_utils._client import GROUP_SERVICE, TOPIC_SERVICE
from ansible_collections.tim.chat.plugins.module_utils._kind import Field, Kind
from ansible_collections.tim.chat.plugins.module_utils._errors import UNKNOWN_COMMAND_CODES, TimApiError
from ansible_collections.tim.chat.plugins.module_utils._ids import (
    TOPIC_MARK,
    community_problem,
    custom_topic_id_problem,
    is_assigned_topic_id,
)
from ansible_collections.tim.chat.plugins.module_utils._validation import unique

# Per-topic codes of get_topic/destroy_topic meaning "no such topic".
TOPIC_GONE_CODES = frozenset([10010, 110003])
# import_topic is documented under group_open_http_svc; a newer page puts it under million_group_open_http_svc.
IMPORT_PATHS = ((GROUP_SERVICE, "import_topic"), (TOPIC_SERVICE, "import_topic"))


def on_off(value):
    return "On" if value else "Off"


def is_on(value):
    return value == "On"


def create_time_problem(value):
    if not isinstance(value, numbers.Integral) or value < 0 or value > time.time() + 60:
        return "create_time must be unix seconds between 0 and now"
    return None


class TopicKind(Kind):
    name = "topic"
    plural = "topics"
    id_field = Field("topic_id", "TopicId", compare=False)
    name_option = "topic_name"
    fields = (
        Field("topic_name", "TopicName", max_bytes=30, nonempty=True),
        Field("custom_string", "CustomString", max_bytes=3000),
        Field("face_url", "FaceUrl", max_bytes=100),
        Field("notification", "Notification", max_bytes=300),
        Field("introduction", "Introduction", max_bytes=240),
        # create_topic and import_topic cannot mute: a muted topic is created, then modified.
        Field("mute_all_member", "MuteAllMember", type="bool", on_create=False, empty=False, to_api=on_off,
              from_api=is_on, applied="muted"),
        Field("from_account", "From_Account", every_write=True),
        Field("create_time", "CreateTime", type="int", compare=False, check=create_time_problem, importing=True),
    )
    server_fields = (("last_msg_time", "LastMsgTime"), ("next_msg_seq", "NextMsgSeq"))
    read_only_keys = ("group_id", "last_msg_time", "next_msg_seq", "self_info")
    limit = 200
    scope_noun = "community"

    def scope_problem(self, scope):
        return community_problem(scope)

    def id_problem(self, scope, resource_id):
        prefix = scope + TOPIC_MARK
        if not resource_id.startswith(prefix):
            return "topic_id does not belong to group %s (it must start with '%s')" % (scope, prefix)
        return None

    def is_assigned(self, resource_id):
        return is_assigned_topic_id(resource_id)

    def creation_problem(self, scope, wanted):
        problem = Kind.creation_problem(self, scope, wanted)
        topic_id = wanted.get(self.id_option)
        if problem or not topic_id or scope is None:
            # No scope: the topic of a community this run creates with an ID the server assigns. Its ID rules wait
            # for that ID: the topics are planned again once the community exists.
            return problem
        if is_assigned_topic_id(topic_id):
            return ("does not exist, and a server-assigned topic ID cannot be chosen when creating; "
                    "leave topic_id out to get a new ID")
        return custom_topic_id_problem(scope, topic_id)

    def adopt(self, scope, item):
        """The topic moved onto ``scope``: read-only keys dropped, a custom ID rebased, a server-assigned one dropped.

        ``scope`` None (a community the run creates, its ID not known yet): a custom ID is dropped too, until the
        topic is moved onto the new ID. An ID that is no topic ID at all (no '@TOPIC#_') is kept as it is, for
        validation to reject.
        """
        wanted = dict((key, value) for key, value in item.items() if key not in self.read_only_keys)
        source_id = wanted.get(self.id_option)
        position = source_id.find(TOPIC_MARK) if source_id else -1
        if position >= 0:
            if is_assigned_topic_id(source_id) or scope is None:
                wanted.pop(self.id_option)
            else:
                wanted[self.id_option] = scope + source_id[position:]
        return wanted

    def from_api(self, info, self_info=None):
        topic = Kind.from_api(self, info)
        topic["group_id"] = info.get("GroupID", info.get("GroupId"))
        topic.update((option, info[api]) for option, api in self.server_fields if api in info)
        if self_info is not None:
            topic["self_info"] = dict(shut_up_time=self_info.get("ShutUpTime"), msg_seq=self_info.get("MsgSeq"),
                                      msg_flag=self_info.get("MsgFlag"))
        return topic

    # --- calls -------------------------------------------------------------------------------------

    def read(self, client, scope, items=None):
        return self.read_topics(client, scope)

    def read_topics(self, client, scope, from_account=None, topic_ids=None, response_filter=None):
        """get_topic once: the topics found (requested ids that do not exist are left out)."""
        body = dict(GroupId=scope, From_Account=from_account or client.identifier)
        if topic_ids:
            body["TopicIdList"] = list(topic_ids)
        if response_filter:
            body["ResponseFilter"] = list(response_filter)
        answer = client.read(TOPIC_SERVICE, "get_topic", body)
        found = []
        for item in answer.get("TopicAndSelfInfo") or []:
            code = item.get("ErrorCode", 0)
            if code == 0:
                found.append(self.from_api(item.get("TopicInfo") or {}, item.get("SelfInfo")))
            elif code not in TOPIC_GONE_CODES:
                raise TimApiError("%s/get_topic" % TOPIC_SERVICE, code, item.get("ErrorInfo", ""))
        return found

    def create(self, client, scope, body, recheck):
        return client.write(TOPIC_SERVICE, "create_topic", dict(body, GroupId=scope), recheck=recheck)["TopicId"]

    def import_(self, client, scope, body, recheck):
        """import_topic (keeps create_time, fires no callback), on the newer path when the backend does not
        know the documented one."""
        body = dict(body, GroupId=scope)
        for service, command in IMPORT_PATHS[:-1]:
            try:
                return client.write(service, command, body, recheck=recheck)["TopicId"]
            except TimApiError as exc:
                if exc.code not in UNKNOWN_COMMAND_CODES:
                    raise
        service, command = IMPORT_PATHS[-1]
        return client.write(service, command, body, recheck=recheck)["TopicId"]

    def modify(self, client, scope, resource_id, body):
        client.write(TOPIC_SERVICE, "modify_topic", dict(body, GroupId=scope, TopicId=resource_id), idempotent=True)

    def delete(self, client, scope, resource_ids):
        """destroy_topic for all ids in one call; a topic that is already gone counts as deleted."""
        answer = client.write(TOPIC_SERVICE, "destroy_topic", dict(GroupId=scope, TopicIdList=list(resource_ids)),
                              idempotent=True)
        failed = {}
        for item in answer.get("DestroyResultItem") or []:
            code = item.get("ErrorCode", 0)
            if code != 0 and code not in TOPIC_GONE_CODES:
                failed[item.get("TopicId")] = TimApiError("%s/destroy_topic" % TOPIC_SERVICE, code,
                                                          item.get("ErrorInfo", ""))
        return failed


TOPIC = TopicKind()

# --- the topic options of the modules --------------------------------------------------------------------

# tim_topic_info's fields option: a topic's fields by option name and the API name ResponseFilter takes.
INFO_FIELDS = tuple((field.option, field.api) for field in TOPIC.fields if field.option != "from_account") + \
    TopicKind.server_fields


def response_filter(options):
    """get_topic ResponseFilter for the given option names (None: every field)."""
    api_names = dict(INFO_FIELDS)
    return [api_names[option] for option in options] if options else None


def describe(client, group_id, from_account=None, topic_ids=None, topic_names=None, fields=None):
    """tim_topic_info: (the topics asked for, sorted by name, with ``fields`` only; the ids and names not found).

    One get_topic call. Names can only be matched on the whole community, so ids alone are the only narrowed
    read, and matching names needs the names even when ``fields`` leaves them out of the answer.
    """
    topic_ids, topic_names = unique(topic_ids or []), unique(topic_names or [])
    hide_name = bool(fields) and bool(topic_names) and "topic_name" not in fields
    narrowed = topic_ids if not topic_names else None
    topics = TOPIC.read_topics(client, group_id, from_account, narrowed,
                               response_filter(list(fields) + ["topic_name"] if hide_name else fields))
    missing = []
    if topic_ids or topic_names:
        topics = [topic for topic in topics if topic["topic_id"] in topic_ids or topic.get("topic_name") in topic_names]
        found_ids = set(topic["topic_id"] for topic in topics)
        found_names = set(topic.get("topic_name") for topic in topics)
        missing = [topic_id for topic_id in topic_ids if topic_id not in found_ids]
        missing.extend(name for name in topic_names if name not in found_names)
    topics.sort(key=lambda topic: (topic.get("topic_name") or "", topic.get("topic_id") or ""))
    for topic in topics if hide_name else []:
        topic.pop("topic_name")
    return topics, missing

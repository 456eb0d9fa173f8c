# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topic API calls of one community, on top of the REST helper. One function per API command.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._api import (
    GROUP_SERVICE,
    TOPIC_SERVICE,
    TimApiError,
)
from ansible_collections.tim.chat.plugins.module_utils._topic import (
    create_payload,
    modify_payload,
    topic_from_api,
)

# Per-topic codes of get_topic/destroy_topic meaning "no such topic".
TOPIC_GONE_CODES = frozenset([10010, 110003])
# The commands the backend answers for an unknown path.
UNKNOWN_COMMAND_CODES = frozenset([10003, 60009])


def read_topics(client, group_id, from_account=None, topic_ids=None, fields=None):
    """get_topic once. Returns (topics found, [(requested id, code, info)] not found)."""
    body = dict(GroupId=group_id, From_Account=from_account or client.identifier)
    if topic_ids:
        body["TopicIdList"] = list(topic_ids)
    if fields:
        body["ResponseFilter"] = list(fields)
    answer = client.call(TOPIC_SERVICE, "get_topic", body)
    found, missing = [], []
    for item in answer.get("TopicAndSelfInfo") or []:
        code = item.get("ErrorCode", 0)
        info = item.get("TopicInfo") or {}
        if code == 0:
            found.append(topic_from_api(info, item.get("SelfInfo")))
        elif code in TOPIC_GONE_CODES:
            missing.append((info.get("TopicId"), code, item.get("ErrorInfo", "")))
        else:
            raise TimApiError("%s/get_topic" % TOPIC_SERVICE, code, item.get("ErrorInfo", ""))
    return found, missing


def _find_created(client, group_id, wanted):
    """Re-read the community after a create whose answer was lost: the topic's id if it exists."""
    topics, _missing = read_topics(client, group_id)
    for topic in topics:
        if wanted.get("topic_id"):
            if topic["topic_id"] == wanted["topic_id"]:
                return topic["topic_id"]
        elif topic.get("topic_name") == wanted["topic_name"]:
            return topic["topic_id"]
    return None


def create_topic(client, group_id, wanted):
    """create_topic for one wanted topic (it did not exist when the run read the community).

    A create whose outcome is unknown is checked by reading the community before it is sent
    again, so a lost answer never creates the topic twice. Returns the new topic id.
    """

    def recheck():
        topic_id = _find_created(client, group_id, wanted)
        return None if topic_id is None else dict(TopicId=topic_id)

    answer = client.call(TOPIC_SERVICE, "create_topic", create_payload(group_id, wanted), recheck=recheck)
    return answer["TopicId"]


def modify_topic(client, group_id, topic_id, changes, from_account=None):
    """modify_topic with only the changed fields ({option: new value}); safe to repeat."""
    client.call(TOPIC_SERVICE, "modify_topic", modify_payload(group_id, topic_id, changes, from_account))


def destroy_topics(client, group_id, topic_ids):
    """destroy_topic for all ids in one call. Returns {topic_id: (code, info)} of those that failed.

    A topic that is already gone counts as destroyed (the call is repeated after a lost answer).
    """
    if not topic_ids:
        return {}
    answer = client.call(TOPIC_SERVICE, "destroy_topic", dict(GroupId=group_id, TopicIdList=list(topic_ids)))
    failed = {}
    for item in answer.get("DestroyResultItem") or []:
        code = item.get("ErrorCode", 0)
        if code not in (0,) and code not in TOPIC_GONE_CODES:
            failed[item.get("TopicId")] = (code, item.get("ErrorInfo", ""))
    return failed


IMPORT_PATHS = ((GROUP_SERVICE, "import_topic"), (TOPIC_SERVICE, "import_topic"))


def import_topic(client, group_id, wanted, paths=IMPORT_PATHS):
    """import_topic (keeps create_time, fires no callback); falls back to the newer path when the
    backend does not know the documented one. Returns the topic id."""
    body = create_payload(group_id, wanted)
    if wanted.get("create_time") is not None:
        body["CreateTime"] = wanted["create_time"]

    def recheck():
        topic_id = _find_created(client, group_id, wanted)
        return None if topic_id is None else dict(TopicId=topic_id)

    for position, (service, command) in enumerate(paths):
        try:
            return client.call(service, command, body, recheck=recheck)["TopicId"]
        except TimApiError as exc:
            if exc.code not in UNKNOWN_COMMAND_CODES or position == len(paths) - 1:
                raise
    raise AssertionError("unreachable")

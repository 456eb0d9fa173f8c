# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the community kind: its fields and API names, limits, ID rules, its nested kinds, and its group calls.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._client import GROUP_SERVICE
from ansible_collections.tim.chat.plugins.module_utils._kind import Child, Field, Kind
from ansible_collections.tim.chat.plugins.module_utils._parallel import run_concurrently
from ansible_collections.tim.chat.plugins.module_utils._errors import TimApiError
from ansible_collections.tim.chat.plugins.module_utils._ids import (
    community_problem,
    custom_group_id_problem,
    is_assigned_group_id,
    printable_ascii_problem,
)
from ansible_collections.tim.chat.plugins.module_utils._permission import PERMISSION_GROUP
from ansible_collections.tim.chat.plugins.module_utils._permission import describe as describe_permission_groups
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC, is_on, on_off
from ansible_collections.tim.chat.plugins.module_utils._validation import STRING_TYPES, unique

# The scope of communities: the whole app.
APP = "app"
# get_group_info takes at most 50 group IDs a call.
GROUP_INFO_BATCH = 50
# get_appid_group_list pages; a page may hold 10000 IDs.
GROUP_LIST_PAGE = 10000
# get_topic's answer for a community created without topics.
TOPICS_NOT_ENABLED = 11000
# Per-group codes of get_group_info and codes of destroy_group meaning "no such group".
GROUP_GONE_CODES = frozenset([10010, 10015])
# The basic fields read: the documented basic group fields (group-system.md) and MuteAllMember (in the sample
# answer of get_group_info). Members are never read: a community may have 100,000, and an answer over 1 MB fails.
BASE_INFO_FIELDS = ("Type", "Name", "Introduction", "Notification", "FaceUrl", "Owner_Account", "CreateTime",
                    "LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum", "MaxMemberNum", "ApplyJoinOption",
                    "MuteAllMember")
SERVER_FIELDS = (("type", "Type"), ("create_time", "CreateTime"), ("last_info_time", "LastInfoTime"),
                 ("last_msg_time", "LastMsgTime"), ("next_msg_seq", "NextMsgSeq"), ("member_num", "MemberNum"),
                 ("apply_join_option", "ApplyJoinOption"))


# The API's answer to a custom-field key that is not declared in the console (among other invalid parameters).
INVALID_PARAMETER = 10004


def naming_keys(call, keys):
    """``call()``, whose request names the custom-field ``keys``; its error 10004 says that they must be declared in
    the console, which the API's own text may not say."""
    try:
        return call()
    except TimApiError as exc:
        if exc.code != INVALID_PARAMETER or not keys:
            raise
        raise TimApiError(exc.api, exc.code, "%s; note that every app_defined_data key (here %s) must first be "
                          "declared in the Chat console, or the API refuses it" % (exc.info, ", ".join(sorted(keys))))


def key_values(data):
    """app_defined_data as the API takes it. An empty value deletes the key, so creation leaves it out."""
    return [dict(Key=key, Value=value) for key, value in sorted(data.items())]


def values_by_key(items):
    return dict((item.get("Key"), item.get("Value", "")) for item in items or [])


def app_data_problem(data):
    bad = sorted(key for key, value in data.items() if not isinstance(value, STRING_TYPES))
    if bad:
        return "app_defined_data values must be strings (%s is not)" % ", ".join(bad)
    return None


def member_count_problem(value):
    return None if value > 0 else "max_member_count must be 1 or more, not %s" % value


class CommunityKind(Kind):
    name = "community"
    plural = "communities"
    id_field = Field("group_id", "GroupId", compare=False)
    name_option = "name"
    fields = (
        Field("name", "Name", max_bytes=30, nonempty=True),
        Field("introduction", "Introduction", max_bytes=240),
        Field("notification", "Notification", max_bytes=300),
        Field("face_url", "FaceUrl", max_bytes=100),
        # create_group calls it MaxMemberCount; get_group_info and modify_group_base_info MaxMemberNum.
        Field("max_member_count", "MaxMemberNum", type="int", create_api="MaxMemberCount", empty=None,
              check=member_count_problem),
        # create_group takes no MuteAllMember: a muted community is created, then modified.
        Field("mute_all_member", "MuteAllMember", type="bool", on_create=False, empty=False, to_api=on_off,
              from_api=is_on, applied="muted"),
        Field("app_defined_data", "AppDefinedData", type="dict", to_api=key_values, from_api=values_by_key,
              check=app_data_problem),
        Field("owner_account", "Owner_Account", reported=True),
    )
    read_only_keys = tuple(option for option, _api in SERVER_FIELDS)
    # The topics are read too when permission groups are declared: their topic permissions name topics.
    children = (Child("topics", TOPIC, purge="purge_topics", imports="import_topics", along=("permission_groups",),
                      brief=True),
                Child("permission_groups", PERMISSION_GROUP, purge="purge_permission_groups", states=True))
    scope_noun = "app"

    def scope_label(self, scope):
        return "the app"

    def id_problem(self, scope, resource_id):
        problem = community_problem(resource_id)
        if problem is None and printable_ascii_problem(resource_id):
            problem = "group_id " + printable_ascii_problem(resource_id)
        return problem

    def is_assigned(self, resource_id):
        return is_assigned_group_id(resource_id)

    def creation_problem(self, scope, wanted):
        problem = Kind.creation_problem(self, scope, wanted)
        if problem or not wanted.get(self.id_option):
            return problem
        return custom_group_id_problem(wanted[self.id_option])

    def existing_problem(self, resource):
        if resource.get("type") != "Community":
            return "%s is a %s group, not a Community: tim.chat manages communities only" % (
                resource[self.id_option], resource.get("type"))
        return None

    def from_api(self, info):
        community = Kind.from_api(self, info)
        community.update((option, info[api]) for option, api in SERVER_FIELDS if api in info)
        return community

    # --- calls -------------------------------------------------------------------------------------

    def read(self, client, scope, items):
        """The communities ``items`` (as given) name by ID; when one is to be found by name, every Community group
        of the app."""
        keys = unique(key for item in items for key in item.get("app_defined_data") or {})
        found, _missing = self.read_groups(client, unique(item[self.id_option] for item in items
                                                          if item.get(self.id_option)), keys)
        known = set(group[self.id_option] for group in found)
        by_name = [item for item in items if not self.adopt(APP, item).get(self.id_option)
                   and item.get(self.id_option) not in known]
        if by_name:
            found.extend(self.read_groups(client, [group_id for group_id in list_community_ids(client)
                                                   if group_id not in known], keys)[0])
        return found

    def read_groups(self, client, group_ids, app_defined_data_keys=()):
        """get_group_info in batches of 50, at once: (groups found, IDs that are not groups)."""
        batches = [group_ids[start:start + GROUP_INFO_BATCH] for start in range(0, len(group_ids), GROUP_INFO_BATCH)]
        found, missing = [], []
        for _batch, answer, error in run_concurrently(
                lambda batch: self._group_info(client, batch, app_defined_data_keys), batches, client.concurrency):
            if error is not None:
                raise error
            found.extend(answer[0])
            missing.extend(answer[1])
        return found, missing

    def _group_info(self, client, group_ids, app_defined_data_keys):
        response_filter = dict(GroupBaseInfoFilter=list(BASE_INFO_FIELDS))
        if app_defined_data_keys:
            response_filter["AppDefinedDataFilter_Group"] = list(app_defined_data_keys)
        answer = naming_keys(lambda: client.read(GROUP_SERVICE, "get_group_info", dict(
            GroupIdList=list(group_ids), ResponseFilter=response_filter)), app_defined_data_keys)
        found, missing = [], []
        for info in answer.get("GroupInfo") or []:
            code = info.get("ErrorCode", 0)
            if code == 0:
                found.append(self.from_api(info))
            elif code in GROUP_GONE_CODES:
                missing.append(info.get("GroupId"))
            else:
                raise TimApiError("%s/get_group_info" % GROUP_SERVICE, code, info.get("ErrorInfo", ""))
        return found, missing

    def create(self, client, scope, body, recheck):
        body = dict(body, Type="Community", SupportTopic=1)
        if not body.get("Owner_Account"):
            body.pop("Owner_Account", None)  # "" (tim_community_info output of a community without owner): none
        if "AppDefinedData" in body:
            body["AppDefinedData"] = [item for item in body["AppDefinedData"] if item["Value"] != ""]
        return naming_keys(lambda: client.write(GROUP_SERVICE, "create_group", body, recheck=recheck),
                           _keys(body))["GroupId"]

    def modify(self, client, scope, resource_id, body):
        naming_keys(lambda: client.write(GROUP_SERVICE, "modify_group_base_info", dict(body, GroupId=resource_id),
                                         idempotent=True), _keys(body))

    def delete(self, client, scope, resource_ids):
        """destroy_group, one call a community; one that is already gone counts as deleted."""
        failed = {}
        for group_id, _answer, error in run_concurrently(
                lambda group_id: client.write(GROUP_SERVICE, "destroy_group", dict(GroupId=group_id), idempotent=True),
                resource_ids, client.concurrency):
            if error is not None and not (isinstance(error, TimApiError) and error.code in GROUP_GONE_CODES):
                if not isinstance(error, TimApiError):
                    raise error
                failed[group_id] = error
        return failed


COMMUNITY = CommunityKind()


def _keys(body):
    return [item["Key"] for item in body.get("AppDefinedData") or []]


def list_community_ids(client):
    """Every Community group of the app: get_appid_group_list, paged with Next (the API allows one call a second)."""
    group_ids, following = [], 0
    while True:
        answer = client.read(GROUP_SERVICE, "get_appid_group_list",
                             dict(Limit=GROUP_LIST_PAGE, Next=following, GroupType="Community"))
        group_ids.extend(item.get("GroupId") for item in answer.get("GroupIdList") or [])
        following = answer.get("Next") or 0
        if not following:
            return group_ids


def describe(client, group_ids, with_topics, app_defined_data_keys, with_permission_groups=False):
    """tim_community_info: (the communities asked for, or all of the app, sorted by name; the IDs that are no
    community; warnings). With ``with_topics`` each has its topics (a community without topics has none listed),
    with ``with_permission_groups`` its permission groups, their topic permissions and members."""
    group_ids = unique(group_ids) if group_ids else list_community_ids(client)
    found, missing = COMMUNITY.read_groups(client, group_ids, app_defined_data_keys)
    communities = [group for group in found if group.get("type") == "Community"]
    missing.extend(group["group_id"] for group in found if group.get("type") != "Community")
    warnings = []

    def complete(community):
        try:
            topics = TOPIC.read_topics(client, community["group_id"])
        except TimApiError as exc:
            if exc.code != TOPICS_NOT_ENABLED:
                raise
            warnings.append("community %s was created without topics: it has no topics to list" % community["group_id"])
            topics = None
        if with_topics and topics is not None:
            community["topics"] = sorted(topics, key=lambda topic: (topic.get("topic_name") or "", topic["topic_id"]))
        if with_permission_groups:
            community["permission_groups"] = describe_permission_groups(client, community["group_id"], topics)

    if with_topics or with_permission_groups:
        for _community, _result, error in run_concurrently(complete, communities, client.concurrency):
            if error is not None:
                raise error
    communities.sort(key=lambda community: (community.get("name") or "", community["group_id"]))
    return communities, [group_id for group_id in group_ids if group_id in missing], warnings

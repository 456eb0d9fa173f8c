# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the permission-group kinds of a community: permission groups, their topic permissions and their members,
with the permission bits by name, and their calls.

The pages of these commands have gaps (docs/permission-groups.md lists them and what is done where they are silent).
Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._client import GROUP_SERVICE
from ansible_collections.tim.chat.plugins.module_utils._change import Later
from ansible_collections.tim.chat.plugins.module_utils._kind import Child, Field, Kind
from ansible_collections.tim.chat.plugins.module_utils._parallel import run_concurrently
from ansible_collections.tim.chat.plugins.module_utils._errors import TimApiError
from ansible_collections.tim.chat.plugins.module_utils._ids import printable_ascii_problem
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC
from ansible_collections.tim.chat.plugins.module_utils._validation import byte_length

PERMISSION_GROUP_PREFIX = "@PMG#_"
ASSIGNED_PERMISSION_GROUP_PREFIX = "@PMG#_@PMG#"
# get_permission_group pages hold at most 20; destroy_permission_group takes at most 20 a call.
PERMISSION_GROUP_PAGE = 20
# add/set/delete_topic_permission_group take at most 50 topics a call.
TOPIC_PERMISSION_BATCH = 50
# add/delete_permission_group_member take at most 100 members a call; the member list pages hold at most 50.
MEMBER_BATCH = 100
ACCOUNT_MAX_BYTES = 32  # a UserID (account-import.md)
MEMBER_PAGE = 50
# Per-item codes meaning "no such permission group"; the answer of add_permission_group_member for a member that is
# in the permission group already.
GONE_CODES = frozenset([10010])
ALREADY_A_MEMBER = 10013


class Permissions:
    """Permission bits by name, in bit order (permission-groups-overview.md)."""

    def __init__(self, what, names):
        self.what = what
        self.names = names

    def value(self, names):
        return sum(1 << self.names.index(name) for name in names)

    def of(self, value):
        """The names of the bits set in ``value``; a bit that has no name is named ``bit_N``."""
        names, bit = [], 0
        while value >> bit:
            if value >> bit & 1:
                names.append(self.names[bit] if bit < len(self.names) else "bit_%d" % bit)
            bit += 1
        return names

    def canonical(self, names):
        """``names`` once each, in bit order (unknown names last, for the check to name them)."""
        known = [name for name in self.names if name in names]
        return known + sorted(set(name for name in names if name not in self.names))

    def problem(self, names):
        unknown = sorted(set(name for name in names if name not in self.names))
        if unknown:
            return "unknown %s permission%s %s; the valid ones are %s" % (
                self.what, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(self.names))
        return None

    def field(self):
        return Field("permissions", "Permission", type="list", elements="str", empty=[], to_api=self.value,
                     from_api=self.of, canonical=self.canonical, check=self.problem)


COMMUNITY_PERMISSIONS = Permissions("community", [
    "manage_group_info", "manage_group_member", "manage_permission_group_info", "manage_permission_group_member",
    "manage_topic_in_community", "mute_member", "send_message", "at_all", "get_history_message",
    "revoke_other_member_message", "ban_member"])
TOPIC_PERMISSIONS = Permissions("topic", [
    "manage_topic", "manage_topic_permission", "mute_member", "send_message", "get_history_message",
    "revoke_other_member_message", "at_all"])


def in_permission_group(scope):
    """The scope of a permission group's topic permissions and members: (group ID, permission group ID)."""
    return "permission group %s of group %s" % (scope[1], scope[0])


def per_item_errors(api, items, key, ok_codes=(0,), code_key="ErrorCode"):
    """{id: TimApiError} of the items of an answer that failed."""
    return dict((item.get(key), TimApiError(api, item.get(code_key), item.get("ErrorInfo", "")))
                for item in items or [] if item.get(code_key, 0) not in ok_codes)


def wanted_permissions(bodies):
    """{topic ID: permission names} of add/set_topic_permission_group items."""
    return dict((body["TopicId"], TOPIC_PERMISSIONS.of(body["Permission"])) for body in bodies)


def in_batches(values, size):
    return [values[start:start + size] for start in range(0, len(values), size)]


class TopicPermissionKind(Kind):
    """What the members of one permission group may do in one topic. Items name the topic by ``topic_id`` or by
    ``topic_name``, which ``prepare`` resolves through the community's topics (a topic created in the same run
    included)."""

    name = "topic permission"
    plural = "topic_permissions"
    id_field = Field("topic_id", "TopicId", compare=False)
    name_option = "topic_name"
    fields = (TOPIC_PERMISSIONS.field(),)
    read_only_keys = ("permission_value",)
    batch = TOPIC_PERMISSION_BATCH
    scope_noun = "permission group"

    def scope_label(self, scope):
        return in_permission_group(scope)

    def describe(self, resource):
        return dict(resource, permission_value=TOPIC_PERMISSIONS.value(resource.get("permissions") or []))

    def prepare(self, declaration):
        """Name each item's topic by its ID, through the topics of the community as they are after this run."""
        by_name, by_id = {}, {}
        for name, topic_id in community_topics(declaration):
            by_name.setdefault(name, []).append(topic_id)
            by_id[str(topic_id)] = name
        declaration.known = by_id
        problems = []
        for index, item in enumerate(declaration.items):
            where = declaration.label(item, index)
            if item.get("topic_id") in by_id:
                item.setdefault("topic_name", by_id[item["topic_id"]])
                continue
            if item.get("topic_id") is not None and (item.get("topic_name") is None or not declaration.adopting):
                problems.append("%s: no topic of the community has the ID %s" % (where, item["topic_id"]))
                continue
            # Not found by ID (a topic of another app, when adopting): by name.
            found = by_name.get(item.get("topic_name"), [])
            if len(found) != 1:
                problems.append("%s: %s" % (where, "no topic of the community is named '%s'" % item.get("topic_name")
                                            if not found else "%d topics are named '%s': give topic_id"
                                            % (len(found), item.get("topic_name"))))
                continue
            item["topic_id"] = found[0]
        return [declaration.owner + ": " + problem for problem in problems]

    def annotate(self, declaration, resources):
        names = declaration.known
        return [dict(resource, topic_name=names.get(resource["topic_id"])) for resource in resources]

    def read(self, client, scope, items):
        answer = client.read(GROUP_SERVICE, "get_topic_permission_group",
                             dict(GroupId=scope[0], PermissionGroupId=scope[1]))
        return [dict(topic_id=item.get("TopicId"), permissions=TOPIC_PERMISSIONS.of(item.get("Permission") or 0))
                for item in answer.get("TopicPermissionResultList") or [] if item.get("ErrorCode", 0) == 0]

    def create_many(self, client, scope, bodies):
        """add_topic_permission_group. After a lost answer, a resend may find some already added: what the
        permission group then holds decides."""
        api = "%s/add_topic_permission_group" % GROUP_SERVICE
        body = dict(GroupId=scope[0], PermissionGroupId=scope[1], TopicPermissionList=bodies)
        answer = client.write(GROUP_SERVICE, "add_topic_permission_group", body,
                              recheck=lambda: self._added(client, scope, bodies))
        failed = per_item_errors(api, answer.get("TopicPermissionResultList"), "TopicId")
        if failed:
            held = self._held(client, scope)
            failed = dict((topic_id, error) for topic_id, error in failed.items()
                          if held.get(topic_id) != wanted_permissions(bodies)[topic_id])
        return [(body["TopicId"], failed.get(body["TopicId"])) for body in bodies]

    def _held(self, client, scope):
        return dict((entry["topic_id"], entry["permissions"]) for entry in self.read(client, scope, []))

    def _added(self, client, scope, bodies):
        """The answer to use when every topic permission of ``bodies`` is in place, else None."""
        held = self._held(client, scope)
        if all(held.get(topic_id) == names for topic_id, names in wanted_permissions(bodies).items()):
            return dict(TopicPermissionResultList=[dict(ErrorCode=0, TopicId=body["TopicId"]) for body in bodies])
        return None

    def modify_many(self, client, scope, pairs):
        api = "%s/set_topic_permission_group" % GROUP_SERVICE
        bodies = [dict(body, TopicId=topic_id) for topic_id, body in pairs]
        answer = client.write(GROUP_SERVICE, "set_topic_permission_group", dict(
            GroupId=scope[0], PermissionGroupId=scope[1], TopicPermissionList=bodies), idempotent=True)
        failed = per_item_errors(api, answer.get("TopicPermissionResultList"), "TopicId")
        return [failed.get(topic_id) for topic_id, _body in pairs]

    def delete(self, client, scope, resource_ids):
        """delete_topic_permission_group, 50 a call; an entry that is gone afterwards counts as deleted."""
        api = "%s/delete_topic_permission_group" % GROUP_SERVICE
        failed = {}
        for batch in in_batches(list(resource_ids), TOPIC_PERMISSION_BATCH):
            answer = client.write(GROUP_SERVICE, "delete_topic_permission_group", dict(
                GroupId=scope[0], PermissionGroupId=scope[1], TopicIdList=batch), idempotent=True)
            failed.update(per_item_errors(api, answer.get("TopicPermissionResultList"), "TopicId"))
        if failed:
            held = self._held(client, scope)
            failed = dict((topic_id, error) for topic_id, error in failed.items() if topic_id in held)
        return failed


class MemberKind(Kind):
    """A member of a permission group, listed by account name."""

    name = "member"
    plural = "members"
    id_field = Field("member_account", "Member_Account", compare=False)
    name_option = "member_account"
    batch = MEMBER_BATCH
    scope_noun = "permission group"

    def id_problem(self, scope, resource_id):
        if byte_length(resource_id) > ACCOUNT_MAX_BYTES:
            return "member_account is %d bytes, and an account (UserID) has at most %d" % (
                byte_length(resource_id), ACCOUNT_MAX_BYTES)
        return None

    def scope_label(self, scope):
        return in_permission_group(scope)

    def read(self, client, scope, items):
        """get_permission_group_member_list, paged with Next ("" first and last)."""
        members, following = [], ""
        while True:
            answer = client.read(GROUP_SERVICE, "get_permission_group_member_list", dict(
                GroupId=scope[0], PermissionGroupId=scope[1], Limit=MEMBER_PAGE, Next=following))
            members.extend(dict(member_account=item.get("Member_Account")) for item in answer.get("MemberList") or [])
            following = answer.get("Next") or ""
            if not following:
                return members

    def create_many(self, client, scope, bodies):
        """add_permission_group_member: a member that is in already (10013) counts as added, so it is safe to repeat."""
        api = "%s/add_permission_group_member" % GROUP_SERVICE
        answer = client.write(GROUP_SERVICE, "add_permission_group_member", dict(
            GroupId=scope[0], PermissionGroupId=scope[1], MemberList=bodies), idempotent=True)
        failed = per_item_errors(api, answer.get("MemberList"), "Member_Account", (0, ALREADY_A_MEMBER), "Result")
        return [(body["Member_Account"], failed.get(body["Member_Account"])) for body in bodies]

    def delete(self, client, scope, resource_ids):
        """delete_permission_group_member, 100 a call; removing an account that is not a member succeeds."""
        for batch in in_batches(list(resource_ids), MEMBER_BATCH):
            client.write(GROUP_SERVICE, "delete_permission_group_member", dict(
                GroupId=scope[0], PermissionGroupId=scope[1],
                MemberList=[dict(Member_Account=member) for member in batch]), idempotent=True)
        return {}


TOPIC_PERMISSION = TopicPermissionKind()
MEMBER = MemberKind()


class PermissionGroupKind(Kind):
    """A permission group of a community: its community permissions, and nested, its topic permissions and its
    members."""

    name = "permission group"
    plural = "permission_groups"
    id_field = Field("permission_group_id", "PermissionGroupId", compare=False)
    name_option = "name"
    fields = (
        Field("name", "PermissionGroupName", max_bytes=150, nonempty=True),
        COMMUNITY_PERMISSIONS.field(),
        Field("custom_string", "CustomString", max_bytes=3000),
    )
    read_only_keys = ("member_count", "permission_value")
    children = (
        Child("topic_permissions", TOPIC_PERMISSION, purge="purge_topic_permissions", scoped_pair=True),
        Child("members", MEMBER, purge="purge_members", item=lambda account: dict(member_account=account),
              output=lambda member: member["member_account"], scoped_pair=True, elements="str"),
    )
    scope_noun = "community"

    def id_problem(self, scope, resource_id):
        if not resource_id.startswith(PERMISSION_GROUP_PREFIX):
            return "permission_group_id '%s' must start with '%s'" % (resource_id, PERMISSION_GROUP_PREFIX)
        problem = printable_ascii_problem(resource_id)
        return "permission_group_id " + problem if problem else None

    def is_assigned(self, resource_id):
        return (resource_id or "").startswith(ASSIGNED_PERMISSION_GROUP_PREFIX)

    def creation_problem(self, scope, wanted):
        problem = Kind.creation_problem(self, scope, wanted)
        if not problem and self.is_assigned(wanted.get(self.id_option)):
            return ("does not exist, and an ID of the server's form (%s...) cannot be chosen; leave "
                    "permission_group_id out to get a new ID" % ASSIGNED_PERMISSION_GROUP_PREFIX)
        if not problem and wanted.get(self.id_option) == PERMISSION_GROUP_PREFIX:
            return "the custom part after '%s' is empty" % PERMISSION_GROUP_PREFIX
        return problem

    def describe(self, resource):
        return dict(resource, permission_value=COMMUNITY_PERMISSIONS.value(resource.get("permissions") or []))

    def from_api(self, info):
        group = Kind.from_api(self, info)
        group["member_count"] = info.get("MemberCount")
        return group

    def read(self, client, scope, items):
        """get_permission_group, every permission group of the community, 20 a page ("" first and last)."""
        groups, following = [], ""
        while True:
            answer = client.read(GROUP_SERVICE, "get_permission_group", dict(
                GroupId=scope, Limit=PERMISSION_GROUP_PAGE, Next=following))
            for info in answer.get("PermissionGroupInfoList") or []:
                if info.get("ErrorCode", 0) == 0:
                    groups.append(self.from_api(info))
            following = answer.get("Next") or ""
            if not following:
                return groups

    def create(self, client, scope, body, recheck):
        """create_permission_group. Permission is required: none given is none held. The pages show no answer: the
        ID is read from it when it is there, else it is the custom ID sent, else the group is found by name."""
        body = dict(body, GroupId=scope)
        body.setdefault("Permission", 0)
        answer = client.write(GROUP_SERVICE, "create_permission_group", body, recheck=recheck)
        found = answer.get("PermissionGroupId") or body.get("PermissionGroupId")
        if found:
            return found
        named = [group for group in self.read(client, scope, []) if group["name"] == body["PermissionGroupName"]]
        if len(named) != 1:
            raise TimApiError("%s/create_permission_group" % GROUP_SERVICE, None, "the answer gave no ID, and %d "
                              "permission groups are named '%s'" % (len(named), body["PermissionGroupName"]))
        return named[0]["permission_group_id"]

    def modify(self, client, scope, resource_id, body):
        client.write(GROUP_SERVICE, "modify_permission_group", dict(body, GroupId=scope, PermissionGroupId=resource_id),
                     idempotent=True)

    def delete(self, client, scope, resource_ids):
        """destroy_permission_group, 20 a call; one that is already gone counts as deleted."""
        api = "%s/destroy_permission_group" % GROUP_SERVICE
        failed = {}
        for batch in in_batches(list(resource_ids), PERMISSION_GROUP_PAGE):
            answer = client.write(GROUP_SERVICE, "destroy_permission_group",
                                  dict(GroupId=scope, PermissionGroupIdList=batch), idempotent=True)
            failed.update(per_item_errors(api, answer.get("PermissionGroupResultList"), "PermissionGroupId",
                                          (0,) + tuple(GONE_CODES)))
        return failed


PERMISSION_GROUP = PermissionGroupKind()


def community_topics(declaration):
    """[(name, ID)] of the topics of the community that ``declaration`` (a permission group's topic permissions)
    belongs to, as they are after this run: those read and not deleted (renamed as planned), and those this run
    creates, their ID a Later."""
    community = declaration.parent.declaration.parent
    found = []
    for topics in [child for child in community.children if child.kind is TOPIC]:
        changed = dict((change.resource_id, change) for change in topics.changes if change.current is not None)
        for topic in topics.existing:
            change = changed.get(topic["topic_id"])
            if change is None or change.action != "delete":
                found.append((change.wanted.get("topic_name", topic.get("topic_name")) if change else
                              topic.get("topic_name"), topic["topic_id"]))
        found.extend((change.wanted.get("topic_name"), Later(change)) for change in topics.changes
                     if change.action in ("create", "import"))
    return found


def describe(client, group_id, topics):
    """The permission groups of a community with their topic permissions (naming the ``topics`` by name too) and
    members, as tim_community takes them. ``topics`` None: a community created without topics, which has no topic
    permissions (the API refuses to read them, 11000)."""
    groups = PERMISSION_GROUP.read(client, group_id, [])
    names = dict((topic["topic_id"], topic.get("topic_name")) for topic in topics or [])

    def complete(group):
        scope = (group_id, group["permission_group_id"])
        topic_permissions = [TOPIC_PERMISSION.describe(dict(entry, topic_name=names.get(entry["topic_id"])))
                             for entry in (TOPIC_PERMISSION.read(client, scope, []) if topics is not None else [])]
        members = [member["member_account"] for member in MEMBER.read(client, scope, [])]
        return dict(PERMISSION_GROUP.describe(group), topic_permissions=topic_permissions, members=members)

    completed = []
    for _group, group, error in run_concurrently(complete, groups, client.concurrency):
        if error is not None:
            raise error
        completed.append(group)
    return sorted(completed, key=lambda group: (group.get("name") or "", group["permission_group_id"]))

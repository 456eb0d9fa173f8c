#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_permission_group
short_description: Declare who may do what in which topic of a Tencent Cloud Chat community (permission groups)
version_added: 0.2.0
description:
  - Brings one permission group of a community, or the whole list of them, to the declared state - its community
    permissions, its topic permissions and its members - through the Chat REST API, as M(tim.chat.tim_community) does
    with its O(tim.chat.tim_community#module:permission_groups) option (this module is that option for one community).
  - Permissions are given by name, not as a bitmask; results show the names and the integer (C(permission_value)).
  - A permission group is found by O(permission_group_id) when given, else by its exact O(name). Only the options
    given are compared and sent. Topic permissions are added, changed (C(set_topic_permission_group)) and removed, 50
    a call, and members added and removed, 100 a call, only where they differ.
  - Every item is validated before the first write - an unknown permission name, and a topic name that is neither a
    topic of the community nor created in the same run, fail the task. The community is read once, its topics once,
    each permission group's topic permissions and members once. A second run with the same input writes nothing.
  - Permission groups take effect once the feature is enabled on the community, which turns its admins into
    ordinary members. The REST field that enables it is not documented; enable it in the console or with the SDK.
  - Where the API pages are silent (the answer of C(create_permission_group), error codes, the form of custom IDs),
    the module sends only documented fields, reads a server-assigned ID from the answer when there is one and
    otherwise finds the new permission group by name. The collection's docs/permission-groups.md lists each such
    place.
author:
  - tim.chat contributors (@tim-chat)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - tim.chat.connection
  - tim.chat.connection.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details: Reports exactly what a real run would create, modify and delete, and writes nothing.
  diff_mode:
    support: full
    details: One diff per changed permission group, topic permission and member, its headers naming it.
  idempotent:
    description: Running the task again with the same input changes nothing.
    support: full
  platform:
    platforms: all
options:
  group_id:
    description: ID of the community (C(@TGS#_...)); it must exist.
    type: str
    required: true
  permission_group_id:
    description: ID of the permission group; a custom ID starts with C(@PMG#_). Left out, the server assigns one.
    type: str
  name:
    description: Name of the permission group, at most 150 bytes. Required to create it.
    type: str
  permissions:
    description:
      - What its members may do in the whole community, by name (the permission bits 0 to 10).
      - V(manage_group_info), V(manage_group_member), V(manage_permission_group_info),
        V(manage_permission_group_member), V(manage_topic_in_community), V(mute_member), V(send_message),
        V(at_all), V(get_history_message), V(revoke_other_member_message), V(ban_member).
    type: list
    elements: str
  custom_string:
    description: Custom string of the permission group, at most 3000 bytes.
    type: str
  state:
    description: V(present) creates or modifies the permission group; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  topic_permissions:
    description:
      - What its members may do in given topics. Each names a topic by C(topic_id) or C(topic_name) (a topic of
        the community, or one this run creates) and lists C(permissions) by name - V(manage_topic),
        V(manage_topic_permission), V(mute_member), V(send_message), V(get_history_message),
        V(revoke_other_member_message), V(at_all) (the topic permission bits 0 to 6).
    type: list
    elements: dict
    suboptions:
      topic_id:
        description: ID of the topic.
        type: str
      topic_name:
        description: Exact name of the topic.
        type: str
      permissions:
        description: The topic permissions, by name.
        type: list
        elements: str
      permission_value:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
  purge_topic_permissions:
    description: Remove the topic permissions of the permission group that C(topic_permissions) does not list.
    type: bool
  members:
    description: Accounts that are members of the permission group.
    type: list
    elements: str
  purge_members:
    description: Remove the members of the permission group that C(members) does not list.
    type: bool
  permission_groups:
    description:
      - Many permission groups of the community in one call, each with the keys of the single options above.
      - The C(permission_groups) of M(tim.chat.tim_community_info) output are accepted as they are.
      - Mutually exclusive with the single options.
    type: list
    elements: dict
    suboptions:
      permission_group_id:
        description: See O(permission_group_id).
        type: str
      name:
        description: See O(name).
        type: str
      permissions:
        description: See O(permissions).
        type: list
        elements: str
      custom_string:
        description: See O(custom_string).
        type: str
      state:
        description: V(present), or V(absent) to delete the permission group; defaults to O(state).
        type: str
        choices: [present, absent]
      topic_permissions:
        description: See O(topic_permissions).
        type: list
        elements: dict
        suboptions:
          topic_id:
            description: See O(topic_permissions[].topic_id).
            type: str
          topic_name:
            description: See O(topic_permissions[].topic_name).
            type: str
          permissions:
            description: See O(topic_permissions[].permissions).
            type: list
            elements: str
          permission_value:
            description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
            type: raw
      purge_topic_permissions:
        description: See O(purge_topic_permissions).
        type: bool
      members:
        description: See O(members).
        type: list
        elements: str
      purge_members:
        description: See O(purge_members).
        type: bool
      member_count:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      permission_value:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
  purge:
    description:
      - With O(permission_groups), delete every permission group of the community that O(permission_groups) does not
        name.
    type: bool
    default: false
notes:
  - The owner of the community always has every permission; everyone else has the community's default permissions
    (not managed by this module, since no REST field for them is documented) and those of the permission groups they
    are in.
seealso:
  - module: tim.chat.tim_community
  - module: tim.chat.tim_community_info
"""

EXAMPLES = r"""
- name: Moderators may mute and recall everywhere, and post in Announcements
  tim.chat.tim_permission_group:
    group_id: "@TGS#_engineering"
    permission_group_id: "@PMG#_moderators"
    name: Moderators
    permissions: [mute_member, revoke_other_member_message, send_message]
    topic_permissions:
      - topic_name: Announcements
        permissions: [send_message, at_all]
    members: [alice, bob]
  delegate_to: localhost

- name: Declare every permission group of the community, and delete the others
  tim.chat.tim_permission_group:
    group_id: "@TGS#_engineering"
    purge: true
    permission_groups:
      - name: Maintainers
        permissions: [manage_topic_in_community, manage_permission_group_member]
        members: [carol]
        purge_members: true
      - name: Readers
        permissions: [get_history_message]
  delegate_to: localhost

- name: Delete a permission group
  tim.chat.tim_permission_group:
    group_id: "@TGS#_engineering"
    name: Readers
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
permission_group:
  description:
    - With the single options, the permission group as it is after the run (in check mode, as it would be), with its
      C(permissions) and C(permission_value), and its C(topic_permissions) and C(members) when they were given;
      empty after O(state=absent).
  returned: when the single options are used
  type: dict
  sample:
    permission_group_id: "@PMG#_moderators"
    name: Moderators
    permissions: [mute_member, send_message, revoke_other_member_message]
    permission_value: 608
    topic_permissions:
      - topic_id: "@TGS#_engineering@TOPIC#_@TOPIC#cWG6VMFUTTXM"
        topic_name: Announcements
        permissions: [send_message, at_all]
        permission_value: 72
    members: [alice, bob]
permission_groups:
  description: With O(permission_groups), each permission group that is to be present, as RV(permission_group).
  returned: when O(permission_groups) is used
  type: list
  elements: dict
created:
  description:
    - What was created, by kind (C(permission_groups), C(topic_permissions), C(members)), each with C(name), C(id)
      and C(parent_id) (the community, or for a topic permission or a member the pair community, permission group).
  returned: always
  type: dict
modified:
  description: What was modified, as RV(created).
  returned: always
  type: dict
deleted:
  description: What was deleted, as RV(created).
  returned: always
  type: dict
changes:
  description: Every permission group, topic permission and member this run changed, with C(kind), C(action),
    C(name), C(id) and C(parent_id).
  returned: always
  type: list
  elements: dict
error_code:
  description: The Chat API error code when the module failed on an API error.
  returned: failure
  type: int
error_info:
  description: The Chat API error text when the module failed on an API error.
  returned: failure
  type: str
api:
  description: The API command that failed.
  returned: failure
  type: str
  sample: group_open_http_svc/create_permission_group
"""

from ansible_collections.tim.chat.plugins.module_utils._community import APP, COMMUNITY
from ansible_collections.tim.chat.plugins.module_utils._change import CREATE, DELETE, MODIFY, Declaration
from ansible_collections.tim.chat.plugins.module_utils._engine import run
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule

STATES = ["present", "absent"]


def main():
    groups = COMMUNITY.nested_options()["permission_groups"]
    single_options = dict((option, spec) for option, spec in groups["options"].items()
                          if option not in ("state", "member_count", "permission_value"))
    argument_spec = dict(single_options, group_id=dict(type="str", required=True), permission_groups=groups,
                         state=dict(type="str", default="present", choices=STATES), purge=dict(type="bool", default=False))
    module = TimModule(argument_spec, supports_check_mode=True,
                       mutually_exclusive=[("permission_groups", option) for option in single_options])
    params = module.params
    single = params["permission_groups"] is None
    if single and params["purge"]:
        module.fail("purge needs the permission_groups option: it deletes the permission groups that it does not name")
    items = [dict((option, params[option]) for option in single_options)] if single else params["permission_groups"]
    groups = [dict(item, state=item.get("state") or params["state"]) for item in items]
    community = dict(group_id=params["group_id"], permission_groups=groups, purge_permission_groups=params["purge"])
    declaration = Declaration(COMMUNITY, APP, [community], adopting=True, listed=False)
    outcome = run(module.client, [declaration])
    declared = (outcome.declared(declaration) or [{}])[0].get("permission_groups", [])
    result = dict(created=outcome.by_kind(CREATE), modified=outcome.by_kind(MODIFY), deleted=outcome.by_kind(DELETE))
    if single:
        result["permission_group"] = declared[0] if declared else {}
    else:
        result["permission_groups"] = declared
    module.finish(outcome, **result)


if __name__ == "__main__":
    main()

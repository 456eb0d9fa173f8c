#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_community
short_description: Create, modify and delete Tencent Cloud Chat communities and their topics
version_added: 0.2.0
description:
  - Brings one community, or every community of an app listed in O(communities), to the declared state through the
    Chat REST API, with their topics in the same run.
  - A community is found by O(group_id) when given, otherwise by its exact O(name) among the app's Community groups
    (two with that name fail the task, naming both IDs). A missing community is created with topics enabled
    (C(SupportTopic=1)), with O(group_id) as its ID when given.
  - Only options that are given are compared and sent; options left out are left as they are. An empty string clears a
    field.
  - Every item is validated before the first write. The communities are read with one C(get_group_info) call per 50,
    the topics of all communities at once, and the writes of all communities share the per-API rate limits in one
    stream. A second run with the same input changes nothing and makes no write call.
  - An existing group that is not a Community, or a community created without topics (which cannot be changed
    afterwards), fails the task before any write.
  - The output of M(tim.chat.tim_community_info) is accepted as O(communities), to adopt the communities of an app or
    to copy them into another app. An ID of the server's form (C(@TGS#_@TGS#...), C(...@TOPIC#_@TOPIC#...)) that
    does not exist cannot be chosen, so such a community or topic is found by name, and created with a new ID when
    missing. A custom topic ID of another community is moved onto the community's ID.
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
    details:
      - One diff per changed community and per changed topic, its headers naming it. C(before) and C(after) are YAML
        text of only the fields that change (all of them for a resource created or deleted).
  idempotent:
    description: Running the task again with the same input changes nothing.
    support: full
  platform:
    platforms: all
options:
  group_id:
    description:
      - ID of the community. Custom IDs are C(@TGS#_) followed by printable ASCII, less than 48 bytes in all.
      - When the community does not exist, it is created with this ID.
    type: str
  name:
    description:
      - Name of the community, at most 30 bytes in UTF-8. Required to create it; finds it when O(group_id) is not given.
    type: str
  introduction:
    description: The community's introduction, at most 240 bytes.
    type: str
  notification:
    description: The community's notice, at most 300 bytes.
    type: str
  face_url:
    description: URL of the community's profile photo, at most 100 bytes.
    type: str
  max_member_count:
    description: The most members the community may have, 1 or more (the app's plan sets the upper limit).
    type: int
  mute_all_member:
    description:
      - Whether all members are muted. A new muted community is created and then modified.
    type: bool
  app_defined_data:
    description:
      - Custom fields of the community, key to value. Only the keys given are compared and set; an empty value deletes
        a key.
      - The keys must be declared in the Chat console first; the API answers error 10004 for a key that is not.
    type: dict
  owner_account:
    description:
      - The owner of a community this run creates; it must be an imported account.
      - An existing community with another owner is left as it is, with a warning.
    type: str
  state:
    description:
      - V(present) creates what is missing and modifies what differs; V(absent) deletes the community (with its topics).
        Deleting a community that is already gone changes nothing.
      - With O(communities), the state of every item that does not set its own.
    type: str
    choices: [present, absent]
    default: present
  topics:
    description:
      - The topics of the community, converged in the same run as M(tim.chat.tim_topic) does, with the same keys.
      - The topics of a community are only read and changed when this (or O(purge_topics)) is given.
    type: list
    elements: dict
    suboptions:
      topic_id:
        description: ID of the topic; see M(tim.chat.tim_topic).
        type: str
      topic_name:
        description: Name of the topic, at most 30 bytes.
        type: str
      from_account:
        description: The member account the topic is written as.
        type: str
      custom_string:
        description: Custom string, at most 3000 bytes.
        type: str
      face_url:
        description: Profile photo URL, at most 100 bytes.
        type: str
      notification:
        description: Notice, at most 300 bytes.
        type: str
      introduction:
        description: Introduction, at most 240 bytes.
        type: str
      mute_all_member:
        description: Whether all members of the topic are muted.
        type: bool
      group_id:
        description: Read-only key of M(tim.chat.tim_topic_info) output; ignored.
        type: raw
      create_time:
        description: Read-only key of M(tim.chat.tim_topic_info) output; ignored.
        type: raw
      last_msg_time:
        description: Read-only key of M(tim.chat.tim_topic_info) output; ignored.
        type: raw
      next_msg_seq:
        description: Read-only key of M(tim.chat.tim_topic_info) output; ignored.
        type: raw
      self_info:
        description: Read-only key of M(tim.chat.tim_topic_info) output; ignored.
        type: raw
  purge_topics:
    description:
      - Delete every topic of the community that O(topics) does not name. Needs O(topics) (an empty list purges every
        topic).
      - With O(communities), the default of every item that does not set its own.
    type: bool
  import_topics:
    description:
      - Topics to import into the community as M(tim.chat.tim_topic_import) does (C(import_topic), C(create_time) kept, no
        webhook fired), for instance the output of M(tim.chat.tim_topic_info) of another community. A topic that is
        already in the community (by ID, else by name) is skipped, and not purged by O(purge_topics).
      - Imported in the same run, with the same read of the community's topics, as O(topics).
      - Mutually exclusive with O(import_src).
    type: list
    elements: dict
    suboptions:
      topic_id:
        description: ID of the topic in its source community; moved onto the community's ID.
        type: str
      topic_name:
        description: Name of the topic, at most 30 bytes.
        type: str
        required: true
      from_account:
        description: The member account the topic is imported as.
        type: str
      custom_string:
        description: Custom string, at most 3000 bytes.
        type: str
      face_url:
        description: Profile photo URL, at most 100 bytes.
        type: str
      notification:
        description: Notice, at most 300 bytes.
        type: str
      introduction:
        description: Introduction, at most 240 bytes.
        type: str
      create_time:
        description: When the topic was created, in unix seconds; kept by the import.
        type: int
      mute_all_member:
        description: Whether all members are muted (set by a modify after the import).
        type: bool
      group_id:
        description: Read-only key; ignored.
        type: raw
      last_msg_time:
        description: Read-only key; ignored.
        type: raw
      next_msg_seq:
        description: Read-only key; ignored.
        type: raw
      self_info:
        description: Read-only key; ignored.
        type: raw
  import_src:
    description:
      - A JSON or YAML file (on the host that runs the module) holding such a list, or a saved result of
        M(tim.chat.tim_topic_info) (a mapping with a C(topics) list); read into O(import_topics). At most 10 MiB.
    type: path
  permission_groups:
    description:
      - The permission groups of the community - who may do what in it and in which topic - converged in the same run
        as M(tim.chat.tim_permission_group) does, with the same keys. A permission group is found by
        C(permission_group_id), else by its exact C(name).
      - Declaring permission groups reads the community's topics too, to find the topics named in C(topic_permissions).
      - Permission groups take effect once the feature is enabled on the community, which turns its admins into
        ordinary members. The REST field that enables it is not documented; enable it in the console or with the SDK.
    type: list
    elements: dict
    suboptions:
      permission_group_id:
        description: See O(tim.chat.tim_permission_group#module:permission_group_id).
        type: str
      name:
        description: See O(tim.chat.tim_permission_group#module:name).
        type: str
      permissions:
        description: See O(tim.chat.tim_permission_group#module:permissions).
        type: list
        elements: str
      custom_string:
        description: See O(tim.chat.tim_permission_group#module:custom_string).
        type: str
      state:
        description: V(present), or V(absent) to delete the permission group; defaults to the community's state.
        type: str
        choices: [present, absent]
      topic_permissions:
        description: See O(tim.chat.tim_permission_group#module:topic_permissions).
        type: list
        elements: dict
        suboptions:
          topic_id:
            description: See O(tim.chat.tim_permission_group#module:topic_permissions[].topic_id).
            type: str
          topic_name:
            description: See O(tim.chat.tim_permission_group#module:topic_permissions[].topic_name).
            type: str
          permissions:
            description: See O(tim.chat.tim_permission_group#module:topic_permissions[].permissions).
            type: list
            elements: str
          permission_value:
            description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
            type: raw
      purge_topic_permissions:
        description: See O(tim.chat.tim_permission_group#module:purge_topic_permissions).
        type: bool
      members:
        description: See O(tim.chat.tim_permission_group#module:members).
        type: list
        elements: str
      purge_members:
        description: See O(tim.chat.tim_permission_group#module:purge_members).
        type: bool
      member_count:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      permission_value:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
  purge_permission_groups:
    description:
      - Delete every permission group of the community that O(permission_groups) does not name. Needs
        O(permission_groups) (an empty list deletes every one).
    type: bool
  communities:
    description:
      - Every community to converge in this run, each with the options above (its own O(state), O(topics) and
        O(purge_topics) included). Mutually exclusive with the single-community options.
      - The output of M(tim.chat.tim_community_info) is accepted as is; its read-only keys are ignored.
    type: list
    elements: dict
    suboptions:
      group_id:
        description: See O(group_id).
        type: str
      name:
        description: See O(name).
        type: str
      introduction:
        description: See O(introduction).
        type: str
      notification:
        description: See O(notification).
        type: str
      face_url:
        description: See O(face_url).
        type: str
      max_member_count:
        description: See O(max_member_count).
        type: int
      mute_all_member:
        description: See O(mute_all_member).
        type: bool
      app_defined_data:
        description: See O(app_defined_data).
        type: dict
      owner_account:
        description: See O(owner_account).
        type: str
      state:
        description: See O(state); defaults to O(state).
        type: str
        choices: [present, absent]
      topics:
        description: See O(topics).
        type: list
        elements: dict
        suboptions:
          topic_id:
            description: See O(topics[].topic_id).
            type: str
          topic_name:
            description: See O(topics[].topic_name).
            type: str
          from_account:
            description: See O(topics[].from_account).
            type: str
          custom_string:
            description: See O(topics[].custom_string).
            type: str
          face_url:
            description: See O(topics[].face_url).
            type: str
          notification:
            description: See O(topics[].notification).
            type: str
          introduction:
            description: See O(topics[].introduction).
            type: str
          mute_all_member:
            description: See O(topics[].mute_all_member).
            type: bool
          group_id:
            description: Read-only key; ignored.
            type: raw
          create_time:
            description: Read-only key; ignored.
            type: raw
          last_msg_time:
            description: Read-only key; ignored.
            type: raw
          next_msg_seq:
            description: Read-only key; ignored.
            type: raw
          self_info:
            description: Read-only key; ignored.
            type: raw
      purge_topics:
        description: See O(purge_topics); defaults to O(purge_topics).
        type: bool
      permission_groups:
        description: See O(permission_groups).
        type: list
        elements: dict
        suboptions:
          permission_group_id:
            description: See O(tim.chat.tim_permission_group#module:permission_group_id).
            type: str
          name:
            description: See O(tim.chat.tim_permission_group#module:name).
            type: str
          permissions:
            description: See O(tim.chat.tim_permission_group#module:permissions).
            type: list
            elements: str
          custom_string:
            description: See O(tim.chat.tim_permission_group#module:custom_string).
            type: str
          state:
            description: See O(permission_groups[].state).
            type: str
            choices: [present, absent]
          topic_permissions:
            description: See O(tim.chat.tim_permission_group#module:topic_permissions).
            type: list
            elements: dict
            suboptions:
              topic_id:
                description: See O(tim.chat.tim_permission_group#module:topic_permissions[].topic_id).
                type: str
              topic_name:
                description: See O(tim.chat.tim_permission_group#module:topic_permissions[].topic_name).
                type: str
              permissions:
                description: See O(tim.chat.tim_permission_group#module:topic_permissions[].permissions).
                type: list
                elements: str
              permission_value:
                description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
                type: raw
          purge_topic_permissions:
            description: See O(tim.chat.tim_permission_group#module:purge_topic_permissions).
            type: bool
          members:
            description: See O(tim.chat.tim_permission_group#module:members).
            type: list
            elements: str
          purge_members:
            description: See O(tim.chat.tim_permission_group#module:purge_members).
            type: bool
          member_count:
            description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
            type: raw
          permission_value:
            description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
            type: raw
      purge_permission_groups:
        description: See O(purge_permission_groups).
        type: bool
      import_topics:
        description: See O(import_topics).
        type: list
        elements: dict
        suboptions:
          topic_id:
            description: See O(import_topics[].topic_id).
            type: str
          topic_name:
            description: See O(import_topics[].topic_name).
            type: str
            required: true
          from_account:
            description: See O(import_topics[].from_account).
            type: str
          custom_string:
            description: See O(import_topics[].custom_string).
            type: str
          face_url:
            description: See O(import_topics[].face_url).
            type: str
          notification:
            description: See O(import_topics[].notification).
            type: str
          introduction:
            description: See O(import_topics[].introduction).
            type: str
          create_time:
            description: See O(import_topics[].create_time).
            type: int
          mute_all_member:
            description: See O(import_topics[].mute_all_member).
            type: bool
          group_id:
            description: Read-only key; ignored.
            type: raw
          last_msg_time:
            description: Read-only key; ignored.
            type: raw
          next_msg_seq:
            description: Read-only key; ignored.
            type: raw
          self_info:
            description: Read-only key; ignored.
            type: raw
      import_src:
        description: See O(import_src); a relative path is relative to the working directory of the module.
        type: path
      type:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      create_time:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      last_info_time:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      last_msg_time:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      next_msg_seq:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      member_num:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
      apply_join_option:
        description: Read-only key of M(tim.chat.tim_community_info) output; ignored.
        type: raw
notes:
  - Members of a community are never read or changed by this module.
  - The owner of an existing community is not changed (the REST API changes it with C(change_group_owner), which
    M(tim.chat.tim_api) can call).
seealso:
  - module: tim.chat.tim_community_info
  - module: tim.chat.tim_topic
  - name: Create a Group (Chat REST API)
    description: The API behind the creation of a community.
    link: https://www.tencentcloud.com/document/product/1047/34895
"""

EXAMPLES = r"""
- name: Set the connection once for every tim.chat module
  module_defaults:
    group/tim.chat.tim:
      sdkappid: 1400000000
      secret_key: "{{ vault_tim_secret_key }}"
      region: singapore
  block:
    - name: Ensure a community with a custom ID, its profile and its topics
      tim.chat.tim_community:
        group_id: "@TGS#_engineering"
        name: Engineering
        introduction: Everything about building the product.
        app_defined_data:
          team: platform
        topics:
          - topic_name: General
          - topic_id: "@TGS#_engineering@TOPIC#_releases"
            topic_name: Releases
            mute_all_member: true
        purge_topics: true
      delegate_to: localhost

    - name: Ensure a community found by name (the server assigns its ID when it is created)
      tim.chat.tim_community:
        name: Support
        notification: Be kind.
      delegate_to: localhost
      register: support

    - name: Converge every community of the app in one run
      tim.chat.tim_community:
        communities:
          - group_id: "@TGS#_sales"
            name: Sales
            topics:
              - topic_name: Leads
          - group_id: "@TGS#_marketing"
            name: Marketing
            mute_all_member: true
          - group_id: "@TGS#_old_project"
            state: absent
      delegate_to: localhost

- name: Copy the communities of one app into another, with their topics
  block:
    - name: Read them from the staging app
      tim.chat.tim_community_info:
        sdkappid: 1400000001
        secret_key: "{{ vault_staging_key }}"
        topics: true
      delegate_to: localhost
      register: staging

    - name: Declare them in the production app
      tim.chat.tim_community:
        sdkappid: 1400000002
        secret_key: "{{ vault_production_key }}"
        communities: "{{ staging.communities }}"
      delegate_to: localhost
"""

RETURN = r"""
community:
  description:
    - With the single-community options, the community as it is after the run (in check mode, as it would be), with
      its declared topics under C(topics) when O(topics) was given (each with its ID, its name and the fields declared
      for it; M(tim.chat.tim_community_info) reads all of them) and its permission groups under C(permission_groups)
      when O(permission_groups) was given; empty after O(state=absent).
    - A community created by this run holds the fields that were sent and the ID the server gave it.
  returned: when the single-community options are used
  type: dict
  sample:
    group_id: "@TGS#_engineering"
    name: Engineering
    introduction: Everything about building the product.
    topics:
      - topic_id: "@TGS#_engineering@TOPIC#_@TOPIC#cWG6VMFUTTXM"
        topic_name: General
communities:
  description: With O(communities), each community that is to be present, as RV(community) describes.
  returned: when O(communities) is used
  type: list
  elements: dict
created:
  description:
    - What was created (in check mode, would be), by kind (C(communities), C(topics)), each with its C(name) and C(id)
      (C(new community 'NAME') in check mode when the server assigns it); a topic also has C(parent_id), its community.
  returned: always
  type: dict
  sample:
    communities:
      - name: Engineering
        id: "@TGS#_engineering"
    topics:
      - name: General
        id: "@TGS#_engineering@TOPIC#_@TOPIC#cWG6VMFUTTXM"
        parent_id: "@TGS#_engineering"
modified:
  description: What was modified, as RV(created).
  returned: always
  type: dict
deleted:
  description: What was deleted, as RV(created).
  returned: always
  type: dict
changes:
  description: Every community and topic this run changed, with C(kind), C(action), C(name), C(id) and, for a topic,
    C(parent_id).
  returned: always
  type: list
  elements: dict
error_code:
  description: The Chat API error code when the module failed on an API error.
  returned: failure
  type: int
  sample: 10004
error_info:
  description: The Chat API error text when the module failed on an API error.
  returned: failure
  type: str
api:
  description: The API command that failed.
  returned: failure
  type: str
  sample: group_open_http_svc/create_group
failed:
  description: When writes failed part-way, each failed write with the resource (C(community) is its label) and the
    API error.
  returned: failure
  type: list
  elements: dict
"""

from ansible_collections.tim.chat.plugins.module_utils._community import APP, COMMUNITY
from ansible_collections.tim.chat.plugins.module_utils._change import CREATE, DELETE, MODIFY, Declaration
from ansible_collections.tim.chat.plugins.module_utils._engine import run
from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule
from ansible_collections.tim.chat.plugins.module_utils._source import load_items
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC

STATES = ["present", "absent"]


def main():
    single_options = COMMUNITY.options()
    nested = dict(COMMUNITY.nested_options(), import_src=dict(type="path"))
    item_options = dict(COMMUNITY.item_options(), state=dict(type="str", choices=STATES), **nested)
    argument_spec = dict(single_options, state=dict(type="str", default="present", choices=STATES),
                         communities=dict(type="list", elements="dict", options=item_options), **nested)
    module = TimModule(argument_spec, supports_check_mode=True, mutually_exclusive=[("import_topics", "import_src")] + [
        ("communities", option) for option in list(single_options) + ["topics", "import_topics", "import_src",
                                                                      "permission_groups"]])
    params = module.params
    single = params["communities"] is None
    if single:
        items = [dict((option, params[option]) for option in list(single_options) + list(nested))]
    else:
        items = [dict(item, purge_topics=params["purge_topics"] if item["purge_topics"] is None else item["purge_topics"])
                 for item in params["communities"]]
    try:
        items = [with_imports_read(item, nested["import_topics"]["options"]) for item in items]
    except InvalidInput as exc:
        module.fail("Invalid input, nothing was changed: %s" % exc, changed=False)
    declaration = Declaration(COMMUNITY, APP, items, params["state"], adopting=True, listed=not single)
    outcome = run(module.client, [declaration])
    for warning in outcome.warnings():
        module.warn(warning)
    communities = outcome.declared(declaration)
    result = dict(created=outcome.by_kind(CREATE), modified=outcome.by_kind(MODIFY), deleted=outcome.by_kind(DELETE))
    if single:
        result["community"] = communities[0] if communities else {}
    else:
        result["communities"] = communities
    module.finish(outcome, **result)


def with_imports_read(item, spec):
    """``item`` with the topics of its import_src file as its import_topics."""
    if not item.get("import_src"):
        return item
    if item.get("import_topics"):
        raise InvalidInput("%s: import_topics and import_src are mutually exclusive" % COMMUNITY.label(item))
    return dict(item, import_src=None, import_topics=load_items(item["import_src"], TOPIC, spec))


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_community_info
short_description: Read the communities of a Tencent Cloud Chat app, optionally with their topics
version_added: 0.2.0
description:
  - Reads the communities given by ID (C(get_group_info), 50 a call), or every Community group of the app
    (C(get_appid_group_list), then C(get_group_info)).
  - IDs that are no group, or no community, are listed in RV(missing); that is not a failure.
  - With O(topics=true), the topics of every community are read too (one C(get_topic) call each, all at once).
  - The RV(communities) it returns can be passed as they are to the O(tim.chat.tim_community#module:communities)
    option of M(tim.chat.tim_community), to adopt the communities of an app or to copy them into another app.
author:
  - tim.chat contributors (@tim-chat)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - tim.chat.connection
  - tim.chat.connection.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details: Reads the same in check mode; it never changes anything.
  diff_mode:
    support: N/A
    details: Nothing changes, so there is nothing to diff.
  idempotent:
    description: Reading never changes anything.
    support: full
  platform:
    platforms: all
options:
  group_ids:
    description: Read only these communities. Without it, every Community group of the app is read.
    type: list
    elements: str
  topics:
    description: Read the topics of each community too, returned under C(topics) in each community.
    type: bool
    default: false
  permission_groups:
    description:
      - Read the permission groups of each community too, with their topic permissions (naming each topic by ID and by
        name) and their members, returned under C(permission_groups) in each community as
        M(tim.chat.tim_community) takes them. One C(get_topic) call and, per permission group, one
        C(get_topic_permission_group) call and the pages of C(get_permission_group_member_list).
    type: bool
    default: false
  app_defined_data_keys:
    description:
      - The custom fields to read, by key. The API returns only the custom fields it is asked for, so without this
        option RV(communities[].app_defined_data) is not returned.
    type: list
    elements: str
notes:
  - Members are never read. A community may have 100,000 of them, and an answer of more than 1 MB fails (error 10018).
  - Listing every community of the app uses C(get_appid_group_list), which the API allows once a second.
seealso:
  - module: tim.chat.tim_community
  - module: tim.chat.tim_topic_info
"""

EXAMPLES = r"""
- name: Read two communities with their topics
  tim.chat.tim_community_info:
    group_ids:
      - "@TGS#_engineering"
      - "@TGS#_support"
    topics: true
  delegate_to: localhost
  register: found

- name: Read every community of the app, with two custom fields
  tim.chat.tim_community_info:
    app_defined_data_keys: [team, cost_center]
  delegate_to: localhost
  register: everything

- name: Declare exactly what was read (nothing changes)
  tim.chat.tim_community:
    communities: "{{ found.communities }}"
  delegate_to: localhost
"""

RETURN = r"""
communities:
  description: The communities found, sorted by name, with their fields as M(tim.chat.tim_community) takes them.
  returned: always
  type: list
  elements: dict
  contains:
    group_id:
      description: ID of the community.
      type: str
    name:
      description: Its name.
      type: str
    introduction:
      description: Its introduction.
      type: str
    notification:
      description: Its notice.
      type: str
    face_url:
      description: URL of its profile photo.
      type: str
    max_member_count:
      description: The most members it may have.
      type: int
    mute_all_member:
      description: Whether all members are muted.
      type: bool
    app_defined_data:
      description: The custom fields named by O(app_defined_data_keys) that it has.
      type: dict
    owner_account:
      description: Its owner (empty when it has none).
      type: str
    type:
      description: The group type, C(Community).
      type: str
    create_time:
      description: When it was created, in unix seconds.
      type: int
    last_info_time:
      description: When its profile last changed, in unix seconds.
      type: int
    last_msg_time:
      description: When its last message was sent, in unix seconds.
      type: int
    next_msg_seq:
      description: The sequence number of its next message.
      type: int
    member_num:
      description: How many members it has.
      type: int
    apply_join_option:
      description: How requests to join it are handled.
      type: str
    topics:
      description: With O(topics=true), its topics as M(tim.chat.tim_topic_info) returns them.
      type: list
      elements: dict
    permission_groups:
      description:
        - With O(permission_groups=true), its permission groups - C(permission_group_id), C(name), C(permissions)
          (names) and C(permission_value) (their integer), C(custom_string), C(member_count), C(topic_permissions)
          (each with C(topic_id), C(topic_name), C(permissions) and C(permission_value)) and C(members) (account
          names).
      type: list
      elements: dict
  sample:
    - group_id: "@TGS#_engineering"
      name: Engineering
      introduction: Everything about building the product.
      notification: ""
      face_url: ""
      max_member_count: 100000
      mute_all_member: false
      owner_account: ""
      type: Community
      topics:
        - topic_id: "@TGS#_engineering@TOPIC#_@TOPIC#cWG6VMFUTTXM"
          topic_name: General
missing:
  description: The requested IDs that are no group, or no community.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.tim.chat.plugins.module_utils._community import describe
from ansible_collections.tim.chat.plugins.module_utils._errors import TimApiError
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule


def main():
    module = TimModule(
        dict(
            group_ids=dict(type="list", elements="str"),
            topics=dict(type="bool", default=False),
            permission_groups=dict(type="bool", default=False),
            app_defined_data_keys=dict(type="list", elements="str", no_log=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        communities, missing, warnings = describe(module.client, params["group_ids"], params["topics"],
                                                  params["app_defined_data_keys"] or [], params["permission_groups"])
    except TimApiError as exc:
        module.fail("Reading the communities of the app failed: %s" % exc, error=exc)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, communities=communities, missing=missing)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_topic_info
short_description: Read the topics of a Tencent Cloud Chat community
version_added: 0.1.0
description:
  - Reads all topics of a community, or the ones given by ID or name, with one C(get_topic) call.
  - Topics that do not exist are listed in RV(missing); that is not a failure.
  - The RV(topics) it returns can be passed as they are to M(tim.chat.tim_topic) and M(tim.chat.tim_topic_import).
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
  group_id:
    description: ID of the community (C(@TGS#_...)).
    type: str
    required: true
  topic_ids:
    description: Read only these topics. With neither O(topic_ids) nor O(topic_names), every topic is read.
    type: list
    elements: str
  topic_names:
    description: Read only the topics with these exact names.
    type: list
    elements: str
  from_account:
    description:
      - The member whose view of the topics (RV(topics[].self_info)) is read. Defaults to O(identifier).
    type: str
  fields:
    description:
      - Return only these fields of each topic (besides C(topic_id) and C(group_id)); sent as C(ResponseFilter).
      - RV(topics[].self_info) is returned regardless, the filter applies to the topic's own fields.
    type: list
    elements: str
    choices: [topic_name, face_url, notification, introduction, custom_string, create_time, last_msg_time,
              next_msg_seq, mute_all_member]
seealso:
  - module: tim.chat.tim_topic
  - module: tim.chat.tim_topic_import
"""

EXAMPLES = r"""
- name: Read every topic of a community
  tim.chat.tim_topic_info:
    group_id: "@TGS#_@TGS#cQVLVHIM62CJ"
  delegate_to: localhost
  register: community

- name: Save them for a later tim_topic_import (src) or tim_topic (topics)
  ansible.builtin.copy:
    content: "{{ community.topics | to_nice_json }}"
    dest: topics.json
    mode: "0600"
  delegate_to: localhost

- name: Read two topics by name, only their notices
  tim.chat.tim_topic_info:
    group_id: "@TGS#_@TGS#cQVLVHIM62CJ"
    topic_names: [General, Help]
    fields: [notification]
  delegate_to: localhost
"""

RETURN = r"""
topics:
  description: The topics found, sorted by name then ID.
  returned: always
  type: list
  elements: dict
  contains:
    topic_id:
      description: ID of the topic.
      type: str
      sample: "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_general"
    group_id:
      description: ID of the community.
      type: str
    topic_name:
      description: Name of the topic.
      type: str
    face_url:
      description: URL of the topic's profile photo.
      type: str
    notification:
      description: The topic's notice.
      type: str
    introduction:
      description: The topic's introduction.
      type: str
    custom_string:
      description: Custom string of the topic.
      type: str
    create_time:
      description: When the topic was created, in unix seconds.
      type: int
    last_msg_time:
      description: When the last message was sent, in unix seconds.
      type: int
    next_msg_seq:
      description: Sequence number of the next message.
      type: int
    mute_all_member:
      description: Whether all members are muted.
      type: bool
    self_info:
      description: The view of O(from_account) on the topic (C(shut_up_time), C(msg_seq), C(msg_flag)).
      type: dict
missing:
  description: The requested topic IDs and names that do not exist.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.tim.chat.plugins.module_utils._errors import TimApiError
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule
from ansible_collections.tim.chat.plugins.module_utils._topic import INFO_FIELDS, TOPIC, describe


def main():
    module = TimModule(
        dict(
            group_id=dict(type="str", required=True),
            topic_ids=dict(type="list", elements="str"),
            topic_names=dict(type="list", elements="str"),
            from_account=dict(type="str"),
            fields=dict(type="list", elements="str", choices=[option for option, _api in INFO_FIELDS]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = TOPIC.scope_problem(params["group_id"])
    if problem:
        module.fail(problem)
    try:
        topics, missing = describe(module.client, params["group_id"], params["from_account"], params["topic_ids"],
                                   params["topic_names"], params["fields"])
    except TimApiError as exc:
        module.fail("Reading the topics of group %s failed: %s" % (params["group_id"], exc), error=exc)
    module.exit_json(changed=False, topics=topics, missing=missing)


if __name__ == "__main__":
    main()

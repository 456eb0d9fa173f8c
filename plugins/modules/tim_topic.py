#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_topic
short_description: Create, modify and delete the topics of a Tencent Cloud Chat community
version_added: 0.1.0
description:
  - Brings one topic, or a whole list of topics of one community, to the declared state through the Chat REST API.
  - A topic is found by O(topic_id) when given, otherwise by its exact O(topic_name).
  - Only options that are given are compared and sent; options left out are left as they are. An empty string clears a
    field.
  - The community is read once per run (one C(get_topic) call). Every topic is validated before the first write, and
    bulk writes run in parallel within O(rate_limit).
  - A second run with the same input changes nothing and makes no write call.
  - Runs on the same community must not overlap, because two runs that both find a topic missing both create it.
    Use C(run_once) when the play has several hosts.
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
      - One diff per changed topic, its headers naming it (C(topic 'General' (@TGS#_...@TOPIC#_general)), or C((new))
        before it exists). C(before) and C(after) are YAML text of only the fields that change (all of them for a topic
        created or deleted), non-ASCII text kept as it is.
  idempotent:
    description: Running the task again with the same input changes nothing.
    support: full
  platform:
    platforms: all
options:
  group_id:
    description:
      - ID of the community (topic-enabled, C(@TGS#_...)) the topics belong to.
    type: str
    required: true
  state:
    description:
      - V(present) creates missing topics and modifies differing ones; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  topic_id:
    description:
      - ID of one topic. When the topic does not exist it is created with this custom ID, which must be
        O(group_id) followed by C(@TOPIC#_) and a custom part of printable ASCII, 96 bytes in all.
      - Mutually exclusive with O(topics).
    type: str
  topic_name:
    description:
      - Name of one topic, at most 30 bytes in UTF-8 (10 Chinese characters). Required to create a topic.
      - Mutually exclusive with O(topics).
    type: str
  from_account:
    description:
      - The member account the topic is created or modified as. Not compared with the existing topic.
    type: str
  custom_string:
    description: Custom string of the topic, at most 3000 bytes.
    type: str
  face_url:
    description: URL of the topic's profile photo, at most 100 bytes.
    type: str
  notification:
    description: The topic's notice, at most 300 bytes.
    type: str
  introduction:
    description: The topic's introduction, at most 240 bytes.
    type: str
  mute_all_member:
    description:
      - Whether all members of the topic are muted. A new muted topic is created and then modified.
    type: bool
  topics:
    description:
      - Many topics of the community in one call, each with the keys of the single-topic options.
      - The output of M(tim.chat.tim_topic_info) is accepted as is; its read-only keys (C(group_id), C(create_time),
        C(last_msg_time), C(next_msg_seq), C(self_info)) are ignored.
      - Mutually exclusive with the single-topic options.
    type: list
    elements: dict
    suboptions:
      topic_id:
        description: ID of the topic; see O(topic_id).
        type: str
      topic_name:
        description: Name of the topic; see O(topic_name).
        type: str
      from_account:
        description: See O(from_account).
        type: str
      custom_string:
        description: See O(custom_string).
        type: str
      face_url:
        description: See O(face_url).
        type: str
      notification:
        description: See O(notification).
        type: str
      introduction:
        description: See O(introduction).
        type: str
      mute_all_member:
        description: See O(mute_all_member).
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
  purge:
    description:
      - With O(state=present) and O(topics), delete every topic of the community that O(topics) does not name.
    type: bool
    default: false
seealso:
  - module: tim.chat.tim_topic_info
  - module: tim.chat.tim_topic_import
  - name: Create Topic (Chat REST API)
    description: The API behind the creation of a topic.
    link: https://www.tencentcloud.com/document/product/1047/50061
"""

EXAMPLES = r"""
- name: Set the connection once for every tim.chat module
  module_defaults:
    group/tim.chat.tim:
      sdkappid: 1400000000
      secret_key: "{{ vault_tim_secret_key }}"
      region: singapore
  block:
    - name: Ensure one topic exists, with a custom ID
      tim.chat.tim_topic:
        group_id: "@TGS#_@TGS#cQVLVHIM62CJ"
        topic_id: "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_announcements"
        topic_name: Announcements
        notification: Read the pinned message first.
        mute_all_member: true
      delegate_to: localhost

    - name: Declare all topics of a community and delete the others
      tim.chat.tim_topic:
        group_id: "@TGS#_@TGS#cQVLVHIM62CJ"
        purge: true
        topics:
          - topic_name: General
            introduction: Anything goes.
          - topic_name: Help
            face_url: https://cdn.example.com/help.png
          - topic_id: "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_releases"
            topic_name: Releases
      delegate_to: localhost

    - name: Clear the notice of a topic
      tim.chat.tim_topic:
        group_id: "@TGS#_@TGS#cQVLVHIM62CJ"
        topic_name: Help
        notification: ""
      delegate_to: localhost

    - name: Delete a topic by name
      tim.chat.tim_topic:
        group_id: "@TGS#_@TGS#cQVLVHIM62CJ"
        topic_name: Old stuff
        state: absent
      delegate_to: localhost
"""

RETURN = r"""
topics:
  description:
    - The topics this call declared, as they are after the run (in check mode, as they would be).
    - Topics created by this run hold the fields that were sent; read them back with M(tim.chat.tim_topic_info) for
      server-side fields such as C(create_time). Deleted topics are not listed.
  returned: always
  type: list
  elements: dict
  sample:
    - topic_id: "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_announcements"
      topic_name: Announcements
      notification: Read the pinned message first.
      mute_all_member: true
topic:
  description: With the single-topic options, the topic as it is after the run; empty after O(state=absent).
  returned: when the single-topic options are used
  type: dict
created:
  description: IDs of the topics created (in check mode, the custom ID or C(new topic 'NAME')).
  returned: always
  type: list
  elements: str
modified:
  description: IDs of the topics modified.
  returned: always
  type: list
  elements: str
deleted:
  description: IDs of the topics deleted.
  returned: always
  type: list
  elements: str
changes:
  description:
    - Every topic this run changed (in check mode, would change), named, with what was done to it.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: The kind of resource, C(topic).
      type: str
    action:
      description: C(created), C(modified), C(deleted).
      type: str
    name:
      description: The topic's name.
      type: str
    id:
      description: The topic's ID; null in check mode for a topic the server will name.
      type: str
  sample:
    - kind: topic
      action: created
      name: General
      id: "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_general"
error_code:
  description: The Chat API error code when the module failed on an API error.
  returned: failure
  type: int
  sample: 10016
error_info:
  description: The Chat API error text when the module failed on an API error.
  returned: failure
  type: str
api:
  description: The API command that failed.
  returned: failure
  type: str
  sample: million_group_open_http_svc/create_topic
failed_topics:
  description: The topics whose write failed, with the error code and text, when a bulk call failed part-way.
  returned: failure
  type: list
  elements: dict
"""

from ansible_collections.tim.chat.plugins.module_utils._change import CREATE, DELETE, MODIFY, Declaration
from ansible_collections.tim.chat.plugins.module_utils._engine import run
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC


def main():
    single_options = TOPIC.options()
    argument_spec = dict(
        group_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        topics=dict(type="list", elements="dict", options=TOPIC.item_options()),
        purge=dict(type="bool", default=False),
    )
    argument_spec.update(single_options)
    module = TimModule(argument_spec, mutually_exclusive=[("topics", option) for option in single_options],
                       supports_check_mode=True)
    params = module.params
    single = params["topics"] is None
    if single and params["purge"]:
        module.fail("purge needs the topics option: it deletes the topics of the community that topics does not name")
    items = [dict((option, params[option]) for option in single_options)] if single else params["topics"]
    declaration = Declaration(TOPIC, params["group_id"], items, params["state"], params["purge"], listed=not single)
    outcome = run(module.client, [declaration])
    topics = outcome.declared(declaration)
    result = dict(topics=topics, created=outcome.ids(CREATE), modified=outcome.ids(MODIFY),
                  deleted=outcome.ids(DELETE))
    if single:
        result["topic"] = topics[0] if topics else {}
    module.finish(outcome, **result)


if __name__ == "__main__":
    main()

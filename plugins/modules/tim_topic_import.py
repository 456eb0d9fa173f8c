#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_topic_import
short_description: Import topics into a Tencent Cloud Chat community, keeping their creation times
version_added: 0.1.0
description:
  - Migrates topics into a community with the C(import_topic) API, which keeps C(create_time) and fires no webhook.
  - Idempotent; a topic already in the community (by ID, else by name) is skipped and reported in RV(skipped_topics).
  - Copies a community to another community or another app. A topic ID of another group is rebased onto
    O(group_id) (its custom part kept). A server-assigned ID (C(...@TOPIC#_@TOPIC#...)) cannot be chosen, so that topic
    gets a new ID and RV(imported) maps the old ID to the new one.
  - Every topic is validated, and the 200-topic limit of a community checked, before the first write.
author:
  - tim.chat contributors (@tim-chat)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - tim.chat.connection
  - tim.chat.connection.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details: Reports what would be imported and skipped, and writes nothing.
  diff_mode:
    support: full
    details: One diff per topic to import, its headers naming it, C(after) its fields as YAML text.
  idempotent:
    description: Running the task again with the same input imports nothing.
    support: full
  platform:
    platforms: all
options:
  group_id:
    description: ID of the community (C(@TGS#_...)) to import into.
    type: str
    required: true
  topics:
    description:
      - The topics to import. The output of M(tim.chat.tim_topic_info) is accepted as is.
      - Mutually exclusive with O(src); one of them is required.
    type: list
    elements: dict
    suboptions:
      topic_id:
        description: ID of the topic in its source community; rebased onto O(group_id).
        type: str
      topic_name:
        description: Name of the topic, at most 30 bytes in UTF-8.
        type: str
        required: true
      from_account:
        description: The member account the topic is imported as.
        type: str
      custom_string:
        description: Custom string, at most 3000 bytes.
        type: str
      face_url:
        description: URL of the profile photo, at most 100 bytes.
        type: str
      notification:
        description: Notice, at most 300 bytes.
        type: str
      introduction:
        description: Introduction, at most 240 bytes.
        type: str
      create_time:
        description: When the topic was created, in unix seconds; not in the future.
        type: int
      mute_all_member:
        description:
          - Whether all members are muted. C(import_topic) cannot set it, so a muted topic is modified after its import
            (which fires the app's C(Group.CallbackAfterTopicInfoChanged) webhook).
        type: bool
      group_id:
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
  src:
    description:
      - A JSON or YAML file on the host running the module holding such a list, or the registered result of
        M(tim.chat.tim_topic_info) saved as is (a mapping with a C(topics) key). At most 10 MiB.
    type: path
  on_existing:
    description:
      - What to do with a topic that is already in the community. V(skip) reports it in RV(skipped_topics);
        V(fail) fails before any write.
    type: str
    choices: [skip, fail]
    default: skip
seealso:
  - module: tim.chat.tim_topic_info
  - module: tim.chat.tim_topic
  - name: Import Topic (Chat REST API)
    description: The API behind this module.
    link: https://www.tencentcloud.com/document/product/1047/50063
"""

EXAMPLES = r"""
- name: Export the topics of the staging community
  tim.chat.tim_topic_info:
    sdkappid: 1400000001
    secret_key: "{{ vault_staging_key }}"
    group_id: "@TGS#_@TGS#staging"
  delegate_to: localhost
  register: staging

- name: Copy them into the production app, keeping creation times
  tim.chat.tim_topic_import:
    sdkappid: 1400000002
    secret_key: "{{ vault_production_key }}"
    group_id: "@TGS#_@TGS#production"
    topics: "{{ staging.topics }}"
  delegate_to: localhost
  register: copied

- name: Import from a saved file
  tim.chat.tim_topic_import:
    group_id: "@TGS#_@TGS#production"
    src: files/topics.yml
  delegate_to: localhost
"""

RETURN = r"""
imported:
  description: The topics imported (in check mode, that would be imported).
  returned: always
  type: list
  elements: dict
  contains:
    source_id:
      description: The topic's ID in the source, if it had one.
      type: str
    topic_id:
      description: Its ID in O(group_id); in check mode, null when the server will assign it.
      type: str
    topic_name:
      description: Its name.
      type: str
skipped_topics:
  description:
    - The topics already in the community, with the reason.
    - Not named C(skipped), which Ansible would read as "the task was skipped".
  returned: always
  type: list
  elements: dict
  contains:
    source_id:
      description: The topic's ID in the source, if it had one.
      type: str
    topic_id:
      description: The ID of the topic already in the community.
      type: str
    topic_name:
      description: Its name.
      type: str
    reason:
      description: Why it was skipped.
      type: str
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
      description: C(created), C(modified), C(deleted), or C(imported).
      type: str
    name:
      description: The topic's name.
      type: str
    id:
      description: The topic's ID; null in check mode for a topic the server will name.
      type: str
  sample:
    - kind: topic
      action: imported
      name: General
      id: "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_general"
failed_topics:
  description: The topics whose import (or setting after it) failed, with the error code and text.
  returned: failure
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
"""

from ansible_collections.tim.chat.plugins.module_utils._change import Declaration
from ansible_collections.tim.chat.plugins.module_utils._engine import run
from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule
from ansible_collections.tim.chat.plugins.module_utils._source import load_items
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC


def main():
    item_options = TOPIC.item_options(importing=True)
    module = TimModule(
        dict(
            group_id=dict(type="str", required=True),
            topics=dict(type="list", elements="dict", options=item_options),
            src=dict(type="path"),
            on_existing=dict(type="str", default="skip", choices=["skip", "fail"]),
        ),
        mutually_exclusive=[("topics", "src")],
        required_one_of=[("topics", "src")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        items = load_items(params["src"], TOPIC, item_options) if params["src"] else params["topics"]
    except InvalidInput as exc:
        module.fail("Nothing was imported: %s" % exc, changed=False)
    declaration = Declaration(TOPIC, params["group_id"], items, importing=True, on_existing=params["on_existing"])
    outcome = run(module.client, [declaration])
    module.finish(outcome, changed=outcome.changed, imported=outcome.imported(), skipped_topics=outcome.skipped())


if __name__ == "__main__":
    main()

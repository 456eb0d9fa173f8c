#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tim_api
short_description: Call any Tencent Cloud Chat REST API command, signed, retried and rate-limited
version_added: 0.2.0
description:
  - Sends one command of the Chat REST API (C(POST /v4/SERVICE/COMMAND)) with the collection's connection - a UserSig
    made from the secret key, a fresh C(random), the per-API rate limit, retries of throttled calls - for what the
    declarative modules do not cover, such as importing the account that is to own a community.
  - The answer is returned as the API gives it. An C(ErrorCode) not in O(ok_codes) fails the task with the code, its
    meaning and the API's text.
  - A call is a write unless O(read_only=true). A write reports C(changed=true) when it succeeds, and is not sent in
    check mode. A read reports C(changed=false) and is sent in check mode too.
author:
  - tim.chat contributors (@tim-chat)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - tim.chat.connection
  - tim.chat.connection.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details: A read (O(read_only=true)) is sent; a write is not sent and reports C(changed=true).
  diff_mode:
    support: none
  idempotent:
    description: Whether a command may be repeated depends on the command; the module cannot tell.
    support: none
  platform:
    platforms: all
options:
  service:
    description: The service of the command, for example V(im_open_login_svc) or V(group_open_http_svc).
    type: str
    required: true
  command:
    description: The command, for example V(account_import) or V(get_group_member_info).
    type: str
    required: true
  body:
    description: The JSON body of the request. An empty object is sent when it is left out.
    type: dict
    default: {}
  ok_codes:
    description: The C(ErrorCode) values that count as success. The answer is returned for them.
    type: list
    elements: int
    default: [0]
  read_only:
    description:
      - Whether the command only reads. A read reports C(changed=false), is sent in check mode, and is sent again
        when its answer is lost (a timeout, a lost connection, HTTP 5xx or a backend internal error).
    type: bool
    default: false
  idempotent:
    description:
      - Whether sending this write twice does no harm (setting a value, importing an account that may exist). Only
        then is a write whose answer was lost sent again.
      - A lost answer does not say whether the backend carried out the write. Sending a create or an "add" again could
        do it twice (a second message, a second member), so by default the module fails instead, saying that the
        outcome is unknown. Throttled calls, which the backend refused before doing anything, are always sent again.
    type: bool
    default: false
notes:
  - The module knows nothing of the command it sends; it checks neither the body nor the answer beyond C(ErrorCode).
  - Each command is limited to O(rate_limit) calls a second; C(get_appid_group_list) to its documented one a second.
seealso:
  - module: tim.chat.tim_community
  - name: REST API overview
    description: The commands of the Chat REST API.
    link: https://www.tencentcloud.com/document/product/1047/34620
"""

EXAMPLES = r"""
- name: Import the account that is to own the community, then create the community
  module_defaults:
    group/tim.chat.tim:
      sdkappid: 1400000000
      secret_key: "{{ vault_tim_secret_key }}"
  block:
    - name: Import the owner account (importing it again is harmless)
      tim.chat.tim_api:
        service: im_open_login_svc
        command: account_import
        body:
          UserID: alice
          Nick: Alice
        idempotent: true
      delegate_to: localhost

    - name: Create the community owned by that account
      tim.chat.tim_community:
        group_id: "@TGS#_engineering"
        name: Engineering
        owner_account: alice
      delegate_to: localhost

- name: Read a group's members (a read, so it runs in check mode too)
  tim.chat.tim_api:
    service: group_open_http_svc
    command: get_group_member_info
    body:
      GroupId: "@TGS#_engineering"
      Limit: 100
    read_only: true
  delegate_to: localhost
  check_mode: true
  register: members

- name: Check which accounts exist, treating a partly unknown list as success
  tim.chat.tim_api:
    service: im_open_login_svc
    command: account_check
    body:
      CheckItem:
        - UserID: alice
        - UserID: bob
    read_only: true
  delegate_to: localhost
  register: accounts
"""

RETURN = r"""
response:
  description: The API's answer as returned (C(ActionStatus), C(ErrorCode), C(ErrorInfo) and the command's fields).
    Empty in check mode for a write, which is not sent.
  returned: success
  type: dict
  sample:
    ActionStatus: OK
    ErrorCode: 0
    ErrorInfo: ""
error_code:
  description: The answer's C(ErrorCode) (0 on success); on failure the API error code, when there was one. Null when
    nothing was sent.
  returned: always
  type: int
  sample: 0
error_info:
  description: The answer's C(ErrorInfo).
  returned: always
  type: str
api:
  description: The command called, C(SERVICE/COMMAND).
  returned: always
  type: str
  sample: im_open_login_svc/account_import
"""

from ansible_collections.tim.chat.plugins.module_utils._errors import OutcomeUnknown, TimApiError
from ansible_collections.tim.chat.plugins.module_utils._module import TimModule


def main():
    module = TimModule(dict(
        service=dict(type="str", required=True),
        command=dict(type="str", required=True),
        body=dict(type="dict", default={}),
        ok_codes=dict(type="list", elements="int", default=[0]),
        read_only=dict(type="bool", default=False),
        idempotent=dict(type="bool", default=False),
    ), supports_check_mode=True)
    params = module.params
    api = "%s/%s" % (params["service"], params["command"])
    result = dict(api=api, changed=not params["read_only"])
    if module.check_mode and not params["read_only"]:
        module.exit_json(msg="%s was not sent: it is a write and this is check mode" % api, response={},
                         error_code=None, error_info="", **result)
    call = module.client.read if params["read_only"] else module.client.write
    options = {} if params["read_only"] else dict(idempotent=params["idempotent"])
    try:
        response = call(params["service"], params["command"], params["body"], ok_codes=params["ok_codes"], **options)
    except OutcomeUnknown as exc:
        module.fail(lost_answer(exc, params), error=exc, changed=False)
    except TimApiError as exc:
        module.fail(str(exc), error=exc, changed=False)
    module.exit_json(response=response, error_code=response.get("ErrorCode", 0),
                     error_info=response.get("ErrorInfo", ""), **result)


def lost_answer(error, params):
    """Why a call whose answer was lost failed, and what the user may do about it."""
    if params["read_only"] or params["idempotent"]:
        return "%s (retries exhausted)" % error
    return ("%s; the write may or may not have happened, so it was not sent again (set idempotent: true if sending "
            "it twice does no harm)" % error)


if __name__ == "__main__":
    main()

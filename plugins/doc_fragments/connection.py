# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  sdkappid:
    description:
      - The SDKAppID of the Chat app, as shown in the Chat console.
      - If not set, the value of the E(TIM_SDKAPPID) environment variable is used. One of them is required.
    type: int
  identifier:
    description:
      - The app admin account the REST API calls are made as.
      - If not set, the value of the E(TIM_IDENTIFIER) environment variable is used.
    type: str
    default: administrator
  secret_key:
    description:
      - The app's secret key. A short-lived UserSig is made from it for each module run; neither is ever logged.
      - Exactly one of O(secret_key) and O(usersig) is required. When the task (or C(module_defaults)) gives neither,
        the E(TIM_SECRET_KEY) or E(TIM_USERSIG) environment variable is used (setting both is an error).
      - The task's credential wins over both variables, so O(secret_key) in the task and a E(TIM_USERSIG) left in the
        environment do not conflict.
    type: str
  usersig:
    description:
      - A ready UserSig for O(identifier), for when the secret key must not reach the controller.
      - Taken from the E(TIM_USERSIG) environment variable as described for O(secret_key).
    type: str
  region:
    description:
      - Where the app lives; selects the API host.
      - If not set, the value of the E(TIM_REGION) environment variable is used.
    type: str
    default: china
    choices: [china, frankfurt, jakarta, mumbai, seoul, silicon_valley, singapore, tokyo]
  base_url:
    description:
      - An explicit API base URL such as V(https://proxy.example.com) or the emulator's V(http://127.0.0.1:8080),
        an absolute C(http) or C(https) URL without C(/v4), which the modules add.
      - Overrides O(region).
      - If not set, the value of the E(TIM_BASE_URL) environment variable is used.
    type: str
  timeout:
    description:
      - Seconds to wait for one API answer, more than 0. The backend's own limit is 3 seconds, so keep this above it.
    type: float
    default: 10
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate. Only turn it off for a test server.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the API server with (for a proxy or a private CA).
      - Without it, O(validate_certs=true) verifies with the default CA bundle of C(requests), which the
        E(REQUESTS_CA_BUNDLE) environment variable can name. O(ca_path) and O(validate_certs=false) are not
        overridden by that variable.
    type: path
  retries:
    description:
      - How many times a call is retried after throttling, a backend timeout or internal error, HTTP 5xx or a lost
        connection, with capped exponential backoff and jitter. Each retry is shown as a warning.
      - A refused connection is tried once more at most; an unknown host or a TLS failure is not retried. Each ends in
        one sentence that names the URL and the option to check.
      - A create whose answer was lost is only sent again after a read shows that it did not happen. When no answer
        came at all (timeout, lost connection), that read waits until the backend's own 3-second limit has passed
        since the create was sent, so a create the backend is still working on is not sent twice.
      - V(0) or more.
    type: int
    default: 5
  rate_limit:
    description:
      - Calls per second per API command this module run makes at most. The Chat backend allows 200 for most
        commands; a command documented slower keeps its own rate (C(get_appid_group_list), one a second). V(0) means
        no limit of your own.
      - Calls are paced 5% below the rate, so that network jitter never brings more of them into one second of the
        backend than it allows.
    type: float
    default: 200
  concurrency:
    description:
      - How many requests bulk work runs in parallel, 1 or more.
    type: int
    default: 16
requirements:
  - requests
notes:
  - "The modules talk to the Chat REST API from the host they run on, usually the controller
    (C(delegate_to: localhost) or C(connection: local))."
  - All options of this group can be set once with C(module_defaults) and the action group C(group/tim.chat.tim).
"""

    ATTRIBUTES = r"""
attributes:
  action_group:
    description: Use C(group/tim.chat.tim) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - tim.chat.tim
"""

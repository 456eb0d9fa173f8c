# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo behind `make demo`: provision two communities' topics against the local API emulator.

1. Start the Chat REST API emulator on 127.0.0.1 (tests/emulator) with a throw-away secret key.
2. Create the two communities of communities.yml the real way (create_group, Type Community, SupportTopic 1),
   signed with Tencent's own TLSSigAPIv2 package.
3. Run provision.yml (the tim.chat.community_topics role, then tim_topic_info), with the connection in
   TIM_SDKAPPID / TIM_SECRET_KEY / TIM_BASE_URL, the same way you point it at a real app (TIM_REGION there).
4. Run it again: it must report changed=0.
5. Stop the emulator. The exit code is 0 only if both runs succeeded and the second changed nothing.
"""

import json
import os
import random
import re
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request

import TLSSigAPIv2
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO_ROOT)

from tests.emulator.launcher import start_emulator  # noqa: E402  (needs REPO_ROOT on sys.path)

SDKAPPID = 1400000000
ADMIN = "administrator"
WRITES = ("create_topic", "modify_topic", "destroy_topic", "import_topic")
RECAP = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                   r"\s+failed=(?P<failed>\d+)")


def create_community(base_url, secret_key, group_id):
    """create_group with Type Community and SupportTopic 1, as an app server would call it."""
    usersig = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, secret_key).gen_sig(ADMIN, 300)
    query = urllib.parse.urlencode(dict(sdkappid=SDKAPPID, identifier=ADMIN, usersig=usersig,
                                        random=random.randint(0, 4294967295), contenttype="json"))
    body = dict(Type="Community", SupportTopic=1, GroupId=group_id, Name=group_id.split("_", 1)[-1][:30])
    request = urllib.request.Request("%s/v4/group_open_http_svc/create_group?%s" % (base_url, query),
                                     data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read().decode("utf-8"))
    if answer.get("ErrorCode") != 0:
        raise RuntimeError("create_group %s failed: %s %s"
                           % (group_id, answer.get("ErrorCode"), answer.get("ErrorInfo")))


def run_playbook(environment, echo):
    """Run provision.yml; return (exit code, recap counters of localhost, output)."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(HERE, "inventory.yml"), os.path.join(HERE, "provision.yml")]
    process = subprocess.run(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             check=False, timeout=600)
    recap = {}
    for line in process.stdout.splitlines():
        match = RECAP.match(line.strip())
        if match and match.group("host") == "localhost":
            recap = dict((key, int(value)) for key, value in match.groupdict().items() if key != "host")
    if echo or process.returncode != 0 or not recap:
        sys.stdout.write(process.stdout)
    return process.returncode, recap


def main():
    with open(os.path.join(HERE, "communities.yml")) as handle:
        communities = yaml.safe_load(handle)["community_topics_communities"]

    secret_key = secrets.token_hex(16)
    emulator = start_emulator(sdkappid=SDKAPPID, secret_key=secret_key)
    try:
        print("Chat REST API emulator listening on %s (sdkappid %d)" % (emulator.url, SDKAPPID))
        for community in communities:
            create_community(emulator.url, secret_key, community["group_id"])
        print("Created the communities %s" % ", ".join(c["group_id"] for c in communities))

        environment = dict(os.environ)
        for variable in ("TIM_USERSIG", "TIM_REGION", "TIM_IDENTIFIER"):
            environment.pop(variable, None)
        environment.update(
            TIM_SDKAPPID=str(SDKAPPID), TIM_SECRET_KEY=secret_key, TIM_BASE_URL=emulator.url,
            ANSIBLE_NOCOWS="1", ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_RETRY_FILES_ENABLED="0",
        )
        environment.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO_ROOT, ".build", "collections"))

        print("\n== First run: ansible-playbook -i docs/examples/inventory.yml docs/examples/provision.yml")
        rc, recap = run_playbook(environment, echo=True)
        if rc != 0 or not recap:
            print("DEMO FAILED: the first run failed (exit code %d)" % rc)
            return 1

        print("== Second run, same input")
        emulator.reset_stats()
        rc, recap = run_playbook(environment, echo=False)
        if rc != 0 or not recap:
            print("DEMO FAILED: the second run failed (exit code %d)" % rc)
            return 1
        writes = sum(count for api, count in emulator.stats()["calls"].items() if api.rsplit("/", 1)[-1] in WRITES)
        print("PLAY RECAP localhost: ok=%d changed=%d failed=%d; write calls served by the emulator: %d"
              % (recap["ok"], recap["changed"], recap["failed"], writes))
        if recap["changed"] != 0 or writes != 0:
            print("DEMO FAILED: the second run should change nothing and write nothing")
            return 1
        print("\nDemo OK: the second run changed nothing (changed=0).")
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())

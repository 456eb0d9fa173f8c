# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo behind `make demo`: provision two communities, with their profiles and topics, on the local API emulator.

1. Start the Chat REST API emulator on 127.0.0.1 (tests/emulator, --strict) with a throw-away secret key.
2. Run provision.yml (the tim.chat.communities role: one tim_community run creates the communities and their
   topics), with the connection in TIM_SDKAPPID / TIM_SECRET_KEY / TIM_BASE_URL, the same way you point it at a
   real app (TIM_REGION there).
3. Run it again: it must report changed=0, and the emulator must have served no write call.
4. Show the next version of the declaration (communities-next.yml) with --check --diff: what would change, no write.
5. Apply it: a notice is set and two topics are purged, one created.
6. Stop the emulator. The exit code is 0 only if every run succeeded and the second and the check run wrote nothing.
"""

import os
import re
import secrets
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO_ROOT)

from tests.emulator.launcher import start_emulator  # noqa: E402  (needs REPO_ROOT on sys.path)

SDKAPPID = 1400000000
RECAP = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                   r"\s+failed=(?P<failed>\d+)")


def run_playbook(environment, echo, *options):
    """Run provision.yml with ``options``; return (exit code, recap counters of localhost)."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(HERE, "inventory.yml"), os.path.join(HERE, "provision.yml")] + list(options)
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


def writes(emulator):
    return sum(emulator.stats()["writes"].values())


def main():
    secret_key = secrets.token_hex(16)
    emulator = start_emulator(sdkappid=SDKAPPID, secret_key=secret_key, strict=True)
    try:
        print("Chat REST API emulator listening on %s (sdkappid %d)" % (emulator.url, SDKAPPID))
        environment = dict(os.environ)
        for variable in ("TIM_USERSIG", "TIM_REGION", "TIM_IDENTIFIER"):
            environment.pop(variable, None)
        environment.update(
            TIM_SDKAPPID=str(SDKAPPID), TIM_SECRET_KEY=secret_key, TIM_BASE_URL=emulator.url,
            ANSIBLE_NOCOWS="1", ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_RETRY_FILES_ENABLED="0",
        )
        environment.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO_ROOT, ".build", "collections"))
        next_version = "@" + os.path.join(HERE, "communities-next.yml")

        print("\n== First run: ansible-playbook -i docs/examples/inventory.yml docs/examples/provision.yml")
        rc, recap = run_playbook(environment, True)
        if rc != 0 or not recap:
            print("DEMO FAILED: the first run failed (exit code %d)" % rc)
            return 1

        print("== Second run, same input")
        emulator.reset_stats()
        rc, recap = run_playbook(environment, False)
        if rc != 0 or not recap:
            print("DEMO FAILED: the second run failed (exit code %d)" % rc)
            return 1
        print("PLAY RECAP localhost: ok=%d changed=%d failed=%d; write calls served by the emulator: %d"
              % (recap["ok"], recap["changed"], recap["failed"], writes(emulator)))
        if recap["changed"] != 0 or writes(emulator) != 0:
            print("DEMO FAILED: the second run should change nothing and write nothing")
            return 1

        print("\n== The next version of the declaration, checked first: ... provision.yml -e @docs/examples/"
              "communities-next.yml --check --diff")
        emulator.reset_stats()
        rc, recap = run_playbook(environment, True, "-e", next_version, "--check", "--diff")
        if rc != 0 or writes(emulator) != 0:
            print("DEMO FAILED: the check run failed or wrote (exit code %d, %d writes)" % (rc, writes(emulator)))
            return 1

        print("== Applied: ... provision.yml -e @docs/examples/communities-next.yml")
        rc, recap = run_playbook(environment, True, "-e", next_version)
        if rc != 0:
            print("DEMO FAILED: applying the next version failed (exit code %d)" % rc)
            return 1
        print("\nDemo OK: the second run changed nothing (changed=0, no write call); the next version was shown with "
              "--check --diff, then applied.")
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())

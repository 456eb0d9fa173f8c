# -*- coding: utf-8 -*-
"""Scale-out (issue 9): an inventory of apps, one play, forks 3, three emulator processes (three Chat apps).

Each inventory host is one app (its own sdkappid, base_url and secret key from a vault-style host var); the role
runs with communities_scope=per_host, once per host and in parallel. Every app is read back with the
independent REST client (tests/integration/tim_rest), not with the code under test.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.emulator.launcher import start_emulator
from tests.integration.conftest import HERE, WRITE_COMMANDS, tim_community_summary
from tests.integration.tim_rest import RestClient

# Client logic that does not depend on ansible-core: run on the default core only (make test-matrix skips it).
pytestmark = pytest.mark.once

ROLE = "tim.chat.communities"
APPLY = "Converge the communities of the app in one run"
GET_TOPIC = "million_group_open_http_svc/get_topic"
CREATE_TOPIC = "million_group_open_http_svc/create_topic"
RECAP = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                   r"\s+failed=(?P<failed>\d+)", re.M)
PER_HOST_CHECK = "Check that this host names its own app, and no other host of the play names it too"
CONTROLLER_CHECK = "Check that the hosts of the play do not name different apps"
APPS = (("app-a", 1400000101, "scale-out-key-a-7d1e"),
        ("app-b", 1400000102, "scale-out-key-b-2c9f"),
        ("app-c", 1400000103, "scale-out-key-c-5a40"))


class App:
    """One Chat app: its emulator process and an independent REST client."""

    def __init__(self, host, process):
        self.host = host
        self.process = process
        self.rest = RestClient(process.url, process.sdkappid, process.secret_key)

    def connection(self, **overrides):
        values = dict(sdkappid=self.process.sdkappid, base_url=self.process.url,
                      secret_key="{{ vault_tim_secret_key }}", timeout=5, retries=10)
        values.update(overrides)
        return values

    def host_vars(self, communities, secret_key=None, **connection):
        """An inventory host for this app: the connection templated from a vault-style host var."""
        return dict(vault_tim_secret_key=secret_key or self.process.secret_key,
                    communities_connection=self.connection(**connection),
                    communities_list=communities)

    def stats(self):
        return self.process.stats()

    def calls(self, api=None):
        calls = self.stats()["calls"]
        return calls.get(api, 0) if api else sum(calls.values())

    def writes(self):
        return sum(count for api, count in self.stats()["calls"].items() if api.rsplit("/", 1)[-1] in WRITE_COMMANDS)

    def throttled(self):
        return self.stats()["faults"].get("throttled", 0)

    def names(self, group_id):
        return sorted(topic["TopicName"] for topic in self.rest.topics(group_id))


@pytest.fixture(scope="module")
def app_processes():
    processes = []
    try:
        for host, sdkappid, key in APPS:
            processes.append(start_emulator(sdkappid=sdkappid, secret_key=key, strict=True))
        yield processes
    finally:
        for process in processes:
            process.stop()


@pytest.fixture
def apps(app_processes):
    result = []
    for (host, _sdkappid, _key), process in zip(APPS, app_processes):
        process.configure(latency_ms=0, latency_spike_ms=0, latency_spike_rate=0, error_rates={}, http_502_rate=0,
                          drop_rate=0, callback_url="", callback_token="", rate_limit=200)
        process.reset_stats()
        result.append(App(host, process))
    return result


class Run:
    def __init__(self, process, results):
        self.rc = process.returncode
        self.output = process.stdout + process.stderr
        self.results = results
        self.recap = dict((m.group("host"), dict((k, int(v)) for k, v in m.groupdict().items() if k != "host"))
                          for m in RECAP.finditer(process.stdout))

    def failed(self, task):
        return [entry["result"] for entry in self.results if entry["task"].endswith(task)
                and entry["status"] == "failed"]

    def summaries(self):
        """communities_result of every host: {host: {group_id: entry}} (tim_community_summary)."""
        shown = [entry["result"]["msg"] for entry in self.results if entry["task"] == "Show the summary"]
        return dict((item["host"], tim_community_summary(item["result"])) for item in shown)


def run_apps_play(tmp_path, hosts, forks=3, scope="per_host", check=False, diff=False, module_defaults=None):
    """One play over an inventory of apps (group ``apps``), the role then a summary per host."""
    group_vars = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    if scope:
        group_vars["communities_scope"] = scope
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"apps": {"hosts": hosts, "vars": group_vars}}}}))
    play = {"name": "Provision every app", "hosts": "apps", "gather_facts": False,
            "roles": [{"role": ROLE}],
            "tasks": [{"name": "Show the summary", "ansible.builtin.debug": {
                "msg": {"host": "{{ inventory_hostname }}", "result": "{{ communities_result }}"}}}]}
    if module_defaults:
        play["module_defaults"] = {"group/tim.chat.tim": module_defaults}
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    results = tmp_path / "results.jsonl"
    if results.exists():
        results.unlink()
    env = dict(os.environ, TIM_TEST_RESULTS=str(results), ANSIBLE_CALLBACKS_ENABLED="record_results",
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_FORKS=str(forks))
    for variable in ("TIM_SDKAPPID", "TIM_SECRET_KEY", "TIM_USERSIG", "TIM_BASE_URL", "TIM_IDENTIFIER", "TIM_REGION"):
        env.pop(variable, None)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
               "--forks", str(forks), str(playbook)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    entries = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    return Run(process, entries)


def topics(*names):
    return [{"topic_name": name} for name in names]


def test_forks_3_each_app_ends_with_exactly_its_own_topics(apps, tmp_path):
    """Check mode, the real run and the rerun of one play over three apps; one app's throttling stays its own."""
    a, b, c = apps
    a_general, a_support = a.rest.create_community(name="a general"), a.rest.create_community(name="a support")
    b_general = b.rest.create_community(name="b general")
    stray = b.rest.create_topic(b_general, "Stray")
    c_general = c.rest.create_community(name="c general")
    declared = {
        a: {a_general: ["Announcements", "Help"], a_support: ["Billing"]},
        b: {b_general: ["General", "Releases"]},
        c: {c_general: ["Six", "Topics", "At", "Two", "Per", "Second"]},
    }
    hosts = {
        a.host: a.host_vars([{"group_id": a_general, "topics": topics("Announcements", "Help")},
                             {"group_id": a_support, "topics": topics("Billing")}]),
        b.host: b.host_vars([{"group_id": b_general, "purge_topics": True, "topics": topics("General", "Releases")}]),
        c.host: c.host_vars([{"group_id": c_general, "topics": topics(*declared[c][c_general])}]),
    }
    for app in apps:
        app.process.reset_stats()

    # Check mode first: every host reports its own plan, nothing is written anywhere.
    check = run_apps_play(tmp_path, hosts, check=True, diff=True)
    assert check.rc == 0, check.output[-4000:]
    planned = check.summaries()
    assert sorted(planned) == ["app-a", "app-b", "app-c"]
    assert (planned["app-a"][a_general]["created"], planned["app-a"][a_support]["created"]) == (2, 1)
    assert (planned["app-b"][b_general]["created"], planned["app-b"][b_general]["deleted"]) == (2, 1)
    assert planned["app-c"][c_general]["created"] == 6
    assert [app.writes() for app in apps] == [0, 0, 0]
    assert "new topic 'Releases'" in check.output

    # The real run. App C's backend allows 2 calls/s per API and answers slowly: its host is throttled and
    # retries; A and B run in their own module processes with their own limiters and never see it.
    c.process.configure(rate_limit=2, latency_ms=100)
    for app in apps:
        app.process.reset_stats()
    real = run_apps_play(tmp_path, hosts)
    assert real.rc == 0, real.output[-4000:]
    assert all(real.recap[app.host]["failed"] == 0 for app in apps), real.recap
    # Each app was read once per community and written only by its own host: one call per topic, no retries.
    assert [app.calls(GET_TOPIC) for app in apps] == [2, 1, 1]
    assert [a.calls(CREATE_TOPIC), b.calls(CREATE_TOPIC)] == [3, 2]
    assert [a.throttled(), b.throttled()] == [0, 0]
    assert c.throttled() > 0 and c.calls(CREATE_TOPIC) > 6
    for app in apps:
        for group_id, names in declared[app].items():
            assert app.names(group_id) == sorted(names), (app.host, group_id)
    done = real.summaries()
    assert done["app-b"][b_general]["deleted_ids"] == [stray]
    assert done["app-c"][c_general]["created"] == 6
    assert sorted(done["app-a"][a_general]["created_ids"]) == sorted(t["TopicId"] for t in a.rest.topics(a_general))
    assert "scale-out-key" not in real.output

    # The rerun changes nothing and writes nothing on any app.
    c.process.configure(rate_limit=200, latency_ms=0)
    for app in apps:
        app.process.reset_stats()
    again = run_apps_play(tmp_path, hosts)
    assert again.rc == 0, again.output[-4000:]
    assert [again.recap[app.host]["changed"] for app in apps] == [0, 0, 0]
    assert [app.writes() for app in apps] == [0, 0, 0]


def test_a_wrong_key_fails_that_app_only(apps, tmp_path):
    a, b, c = apps
    groups = dict((app, app.rest.create_community(name="wrong key")) for app in apps)
    hosts = dict((app.host, app.host_vars([{"group_id": groups[app], "topics": topics("General", "Help")}],
                                          secret_key="not-the-key-of-b" if app is b else None))
                 for app in apps)
    for app in apps:
        app.process.reset_stats()

    play = run_apps_play(tmp_path, hosts)
    assert play.rc != 0
    assert [play.recap[app.host]["failed"] for app in apps] == [0, 1, 0], play.recap
    failures = play.failed(APPLY)
    assert len(failures) == 1
    assert failures[0]["error_code"] == 70009, failures[0]
    assert b.writes() == 0 and b.names(groups[b]) == []
    assert a.names(groups[a]) == c.names(groups[c]) == ["General", "Help"]
    assert sorted(play.summaries()) == ["app-a", "app-c"]
    assert "not-the-key-of-b" not in play.output


def test_guards_fail_clearly_before_any_api_call(apps, tmp_path):
    a, b, c = apps
    groups = dict((app, app.rest.create_community(name="guards")) for app in apps)
    declared = dict((app, [{"group_id": groups[app], "topics": topics("General")}]) for app in apps)
    for app in apps:
        app.process.reset_stats()

    # Run-once mode (the default) over hosts naming three different apps: only one would be provisioned.
    hosts = dict((app.host, app.host_vars(declared[app])) for app in apps)
    once = run_apps_play(tmp_path, hosts, scope=None)
    assert once.rc != 0
    # A failed run_once task stops every host of the play (the recap counts the failure on the first one).
    assert once.recap["app-a"]["failed"] == 1 and once.summaries() == {}, once.recap
    message = once.failed(CONTROLLER_CHECK)[0]["msg"]
    assert "communities_scope: per_host" in message
    for app in apps:
        assert "%d at %s (hosts %s)" % (app.process.sdkappid, app.process.url, app.host) in message
    assert [app.calls() for app in apps] == [0, 0, 0]

    # Per-host mode: two hosts naming app A would race on its communities; a host without its own sdkappid
    # (the app only in the play's module_defaults) cannot be told apart. Those fail; app B converges.
    hosts = {
        "app-a": a.host_vars(declared[a]),
        "app-a-again": a.host_vars(declared[a], base_url=a.process.url + "/"),
        "app-b": b.host_vars(declared[b]),
        "app-x": {"communities_list": declared[c]},
    }
    defaults = dict(sdkappid=c.process.sdkappid, base_url=c.process.url, secret_key=c.process.secret_key)
    per_host = run_apps_play(tmp_path, hosts, module_defaults=defaults)
    assert per_host.rc != 0
    assert dict((host, per_host.recap[host]["failed"]) for host in hosts) == {
        "app-a": 1, "app-a-again": 1, "app-b": 0, "app-x": 1}, per_host.recap
    messages = [r["msg"] for r in per_host.failed(PER_HOST_CHECK)]
    twins = [m for m in messages if "they would race" in m]
    assert len(messages) == 3 and len(twins) == 2, messages
    assert all("app-a, app-a-again" in m or "app-a-again, app-a" in m for m in twins), twins
    assert [m for m in messages if "has no sdkappid" in m]
    assert a.calls() == 0 and c.calls() == 0
    assert b.names(groups[b]) == ["General"]

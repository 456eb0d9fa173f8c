# -*- coding: utf-8 -*-
"""Integration tests of the tim.chat.communities role: real ansible-playbook runs against the emulator."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import json
import os
import re
import subprocess
import sys
import time

import yaml

from tests.integration.conftest import HERE, connection, run_play, tim_community_summary

ROLE = "tim.chat.communities"
APPLY = "Converge the communities of the app in one run"
VALIDATE = "Validating arguments against arg spec 'main'"
RECAP = re.compile(r"^localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", re.M)


def role_tasks(communities, **role_vars):
    """Apply the role with include_role, then expose communities_result through a debug task."""
    role_vars["communities_list"] = communities
    return [
        {"name": "Apply the role", "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars},
        {"name": "Show the summary", "ansible.builtin.debug": {"var": "communities_result"}},
    ]


def role_result(play, name):
    """The recorded result of the role task whose name ends with ``name`` (the role prefixes its task names)."""
    matches = [entry for entry in play.results if name in entry["task"]]
    assert matches, "task %r has no result; rc=%s\n%s\n%s" % (name, play.rc, play.stdout[-3000:], play.stderr[-3000:])
    return matches[-1]


def summary(play, succeeded=True):
    """Per community of communities_result: what was done to it and to its topics (tim_community_summary)."""
    if succeeded:
        assert play.rc == 0, play.stdout[-4000:] + play.stderr[-4000:]
    return tim_community_summary(play.task("Show the summary")["communities_result"])


def recap_changed(play):
    match = RECAP.search(play.stdout)
    assert match, play.stdout[-3000:]
    return int(match.group(1))


def total_calls(emulator):
    return sum(emulator.calls().values())


def declared(*names, **first_topic_fields):
    topics = [{"topic_name": name} for name in names]
    topics[0].update(first_topic_fields)
    return topics


def test_first_run_creates_second_run_changes_and_writes_nothing(emulator):
    general = emulator.community(name="general")
    support = emulator.community(name="support")
    communities = [
        {"group_id": general, "topics": declared("Announcements", "Help", "Releases", mute_all_member=True)},
        {"group_id": support, "topics": declared("Welcome", "Billing", introduction="Start here.")},
    ]

    first = run_play(role_tasks(communities), emulator)
    # One tim_community call for both: one get_group_info, one get_topic read each, not one per topic.
    assert emulator.calls()["million_group_open_http_svc/get_topic"] == 2
    assert emulator.calls()["group_open_http_svc/get_group_info"] == 1
    result = summary(first)
    assert result[general]["created"] == 3 and result[support]["created"] == 2
    assert result[general]["changed"] and result[support]["changed"]
    assert emulator.names(general) == ["Announcements", "Help", "Releases"]
    assert emulator.names(support) == ["Billing", "Welcome"]
    muted = [t for t in emulator.rest.topics(general) if t["TopicName"] == "Announcements"][0]
    assert muted["MuteAllMember"] == "On"
    assert sorted(result[general]["created_ids"]) == sorted(t["TopicId"] for t in emulator.rest.topics(general))
    assert role_result(first, APPLY)["status"] == "ok"

    emulator.reset_stats()
    second = run_play(role_tasks(communities), emulator)
    result = summary(second)
    assert recap_changed(second) == 0
    assert not role_result(second, APPLY)["result"]["changed"]
    assert emulator.writes() == 0
    for group_id in (general, support):
        entry = result[group_id]
        assert (entry["changed"], entry["created"], entry["modified"], entry["deleted"]) == (False, 0, 0, 0)


@pytest.mark.once
def test_drift_is_put_back_and_counted_as_modified(emulator):
    group_id = emulator.community()
    communities = [{"group_id": group_id, "topics": declared("General", "Help", introduction="Be nice.")}]
    assert summary(run_play(role_tasks(communities), emulator))[group_id]["created"] == 2
    general = [t for t in emulator.rest.topics(group_id) if t["TopicName"] == "General"][0]
    emulator.rest.modify_topic(group_id, general["TopicId"], Introduction="changed behind Ansible's back")

    emulator.reset_stats()
    entry = summary(run_play(role_tasks(communities), emulator))[group_id]
    assert (entry["created"], entry["modified"], entry["deleted"]) == (0, 1, 0)
    assert entry["modified_ids"] == [general["TopicId"]]
    assert emulator.writes() == 1
    assert [t["Introduction"] for t in emulator.rest.topics(group_id) if t["TopicName"] == "General"] == ["Be nice."]


def test_check_mode_reports_and_writes_nothing(emulator):
    group_id = emulator.community()
    emulator.rest.create_topic(group_id, "Stray")
    emulator.reset_stats()
    communities = [{"group_id": group_id, "purge_topics": True, "topics": declared("General", "Help", "Random")}]

    play = run_play(role_tasks(communities), emulator, check=True, diff=True)
    entry = summary(play)[group_id]
    assert (entry["changed"], entry["created"], entry["modified"], entry["deleted"]) == (True, 3, 0, 1)
    assert emulator.writes() == 0
    assert emulator.names(group_id) == ["Stray"]
    # diff passes through: the planned topics and the purged one show in the output.
    item = role_result(play, APPLY)["result"]
    assert sorted(entry["after_header"] for entry in item["diff"] if entry["after"]) == [
        "topic 'General' (new)", "topic 'Help' (new)", "topic 'Random' (new)"]
    assert ['topic_name: "Stray"\n' in entry["before"] for entry in item["diff"] if not entry["after"]] == [True]
    assert "topic 'Random' (new)" in play.stdout


@pytest.mark.once
def test_purge_removes_an_unlisted_topic(emulator):
    group_id = emulator.community()
    stray = emulator.rest.create_topic(group_id, "Stray")
    topics = declared("General", "Help")

    kept = summary(run_play(role_tasks([{"group_id": group_id, "topics": topics}]), emulator))[group_id]
    assert (kept["created"], kept["deleted"]) == (2, 0)
    assert emulator.names(group_id) == ["General", "Help", "Stray"]

    purged = summary(run_play(role_tasks([{"group_id": group_id, "topics": topics, "purge_topics": True}]), emulator))
    assert (purged[group_id]["created"], purged[group_id]["deleted"]) == (0, 1)
    assert purged[group_id]["deleted_ids"] == [stray]
    assert emulator.names(group_id) == ["General", "Help"]


BAD_INPUTS = [
    ("purge_topics that is not a boolean", dict(communities_list=[
        {"group_id": "@TGS#_@TGS#bad", "purge_topics": "maybe", "topics": []}]), "purge_topics"),
    ("topics that is not a list of dicts", dict(communities_list=[
        {"group_id": "@TGS#_@TGS#bad", "topics": ["General"]}]), "topics"),
    ("a misspelt community key", dict(communities_list=[
        {"group_id": "@TGS#_@TGS#bad", "purgee": True}]), "purgee"),
    ("an unknown state", dict(communities_list=[{"group_id": "@TGS#_@TGS#bad", "state": "gone"}]), "state"),
    ("no communities at all", dict(), "communities_list"),
    ("an unknown region", dict(communities_list=[{"group_id": "@TGS#_@TGS#bad"}],
                               communities_connection={"region": "mars"}), "region"),
]


def test_bad_input_fails_in_argument_validation_before_any_api_call(emulator):
    for label, role_vars, mentioned in BAD_INPUTS:
        tasks = [{"name": "Apply the role", "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars}]
        play = run_play(tasks, emulator)
        assert play.rc != 0, label
        failed = role_result(play, VALIDATE)
        assert failed["status"] == "failed", label
        assert mentioned in failed["result"]["msg"], (label, failed["result"]["msg"])
        assert not [entry for entry in play.results if entry["task"].endswith(APPLY)], label
        assert total_calls(emulator) == 0, (label, emulator.calls())


def test_a_misspelt_connection_option_fails_validation_without_printing_the_secret(emulator):
    secret = "misspelt-option-secret-9c1d"
    role_vars = dict(communities_list=[{"group_id": "@TGS#_@TGS#bad"}],
                     communities_connection={"secretkey": secret})
    tasks = [{"name": "Apply the role", "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars}]
    play = run_play(tasks, emulator, verbosity=3)
    assert play.rc != 0
    assert "secretkey" in role_result(play, VALIDATE)["result"]["msg"]
    assert total_calls(emulator) == 0
    assert secret not in play.stdout + play.stderr


def test_connection_from_the_role_dict_without_module_defaults(emulator):
    group_id = emulator.community()
    conn = connection(emulator)
    communities = [{"group_id": group_id, "topics": declared("General", "Help")}]
    tasks = role_tasks(communities, communities_connection=conn)

    play = run_play(tasks, None, module_defaults={}, verbosity=3)
    assert summary(play)[group_id]["created"] == 2
    assert emulator.names(group_id) == ["General", "Help"]
    assert conn["secret_key"] not in play.stdout + play.stderr

    emulator.reset_stats()
    again = run_play(tasks, None, module_defaults={}, diff=True)
    assert recap_changed(again) == 0 and emulator.writes() == 0


def test_role_dict_wins_per_option_over_module_defaults(emulator):
    """module_defaults give sdkappid and base_url; the role dict only the (right) secret key, over a wrong one."""
    group_id = emulator.community()
    wrong = connection(emulator, secret_key="not-the-secret-key")
    tasks = role_tasks([{"group_id": group_id, "topics": declared("General")}],
                       communities_connection={"secret_key": emulator.process.secret_key})

    play = run_play(tasks, None, module_defaults=wrong)
    assert summary(play)[group_id]["created"] == 1

    without_dict = run_play(role_tasks([{"group_id": group_id, "topics": declared("General")}]), None,
                            module_defaults=wrong)
    assert without_dict.rc != 0
    assert role_result(without_dict, APPLY)["status"] == "failed"


@pytest.mark.once
def test_connection_from_environment_variables(emulator):
    group_id = emulator.community()
    env = dict(TIM_SDKAPPID=str(emulator.process.sdkappid), TIM_SECRET_KEY=emulator.process.secret_key,
               TIM_BASE_URL=emulator.url)
    play = run_play(role_tasks([{"group_id": group_id, "topics": declared("General")}]), None, module_defaults={},
                    env=env)
    assert summary(play)[group_id]["created"] == 1


@pytest.mark.once
def test_import_src_seeds_topics_then_the_declared_ones_apply(emulator, tmp_path):
    source_group = emulator.community()
    group_id = emulator.community()
    created = int(time.time()) - 86400 * 30
    export = [
        {"topic_id": source_group + "@TOPIC#_general", "group_id": source_group, "topic_name": "General",
         "introduction": "Old text.", "create_time": created},
        {"topic_name": "Archive", "create_time": created},
    ]
    src = tmp_path / "topics.json"
    src.write_text(json.dumps({"topics": export}))
    communities = [{"group_id": group_id, "import_src": str(src),
                    "topics": declared("General", "Help", introduction="New text.")}]

    entry = summary(run_play(role_tasks(communities), emulator))[group_id]
    assert (entry["imported"], entry["created"], entry["modified"], entry["deleted"]) == (2, 1, 1, 0)
    assert group_id + "@TOPIC#_general" in entry["imported_ids"]
    topics = dict((t["TopicName"], t) for t in emulator.rest.topics(group_id))
    assert sorted(topics) == ["Archive", "General", "Help"]
    assert topics["General"]["CreateTime"] == created and topics["Archive"]["CreateTime"] == created
    assert topics["General"]["Introduction"] == "New text."

    emulator.reset_stats()
    play = run_play(role_tasks(communities), emulator)
    entry = summary(play)[group_id]
    assert (entry["changed"], entry["imported"], entry["created"], entry["modified"]) == (False, 0, 0, 0)
    assert recap_changed(play) == 0 and emulator.writes() == 0


def test_any_inventory_runs_once_on_the_controller(emulator, tmp_path):
    """A play over three hosts that are not the controller: one tim_community call, the fact on every host."""
    group_id = emulator.community()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "hosts": dict((name, {}) for name in ("web1", "web2", "web3")),
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}))
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Any inventory", "hosts": "all", "gather_facts": False,
        "module_defaults": {"group/tim.chat.tim": connection(emulator)},
        "roles": [{"role": ROLE, "communities_list": [
            {"group_id": group_id, "topics": declared("General", "Help")}]}],
        "tasks": [{"name": "Show the summary", "ansible.builtin.debug": {"var": "communities_result"}}],
    }], sort_keys=False))
    results = tmp_path / "results.jsonl"
    env = dict(os.environ, TIM_TEST_RESULTS=str(results), ANSIBLE_CALLBACKS_ENABLED="record_results",
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0")
    for variable in ("TIM_SDKAPPID", "TIM_SECRET_KEY", "TIM_USERSIG", "TIM_BASE_URL", "TIM_IDENTIFIER", "TIM_REGION"):
        env.pop(variable, None)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), str(playbook)]
    process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-4000:]

    calls = emulator.calls()
    assert calls["million_group_open_http_svc/get_topic"] == 1
    assert calls["million_group_open_http_svc/create_topic"] == 2
    assert emulator.names(group_id) == ["General", "Help"]
    entries = [json.loads(line) for line in results.read_text().splitlines()]
    shown = [entry for entry in entries if entry["task"] == "Show the summary"]
    assert len(shown) == 3
    for entry in shown:
        created = entry["result"]["communities_result"]["created"]
        assert [topic["parent_id"] for topic in created["topics"]] == [group_id, group_id]


def rescued_role_tasks(communities, **role_vars):
    """role_tasks in a block whose rescue shows communities_result: what a play sees when the role failed."""
    apply_role, show = role_tasks(communities, **role_vars)
    return [{"name": "Provision", "block": [apply_role, show],
             "rescue": [dict(show, name="Show the summary after the failure")]}]


def environment(tag):
    """Three whole communities (IDs ending in ``tag``): profiles, topics, a muted one of each, one to purge."""
    return [
        {"group_id": "@TGS#_env-engineering" + tag, "name": "Engineering", "introduction": "Building the product.",
         "notification": "Search before you ask.", "purge_topics": True,
         "topics": declared("General", "Releases", "Help", mute_all_member=True)},
        {"group_id": "@TGS#_env-support" + tag, "name": "Support", "mute_all_member": True,
         "topics": declared("Welcome", "Billing", introduction="Start here.")},
        {"group_id": "@TGS#_env-sales" + tag, "name": u"销售", "max_member_count": 5000,
         "topics": declared(u"线索", "Deals")},
    ]


@pytest.mark.once
def test_whole_environment_from_nothing_check_apply_rerun_and_drift(emulator):
    communities = environment("-1")
    reads = {"group_open_http_svc/get_group_info": 1}

    check = run_play(role_tasks(communities), emulator, check=True, diff=True)
    planned = summary(check)
    assert [planned[c["group_id"]]["community"] for c in communities] == ["created"] * 3
    assert [planned[c["group_id"]]["created"] for c in communities] == [3, 2, 2]
    assert emulator.writes() == 0 and emulator.calls() == reads  # nothing exists yet: no topic to read
    assert "community 'Engineering' (@TGS#_env-engineering-1)" in check.stdout

    emulator.reset_stats()
    first = run_play(role_tasks(communities), emulator)
    done = summary(first)
    assert [done[c["group_id"]]["community"] for c in communities] == ["created"] * 3
    assert emulator.calls()["group_open_http_svc/create_group"] == 3
    assert emulator.calls()["million_group_open_http_svc/create_topic"] == 7
    # Two settings creation cannot make: the muted topic and the muted community, one modify each.
    assert emulator.calls()["million_group_open_http_svc/modify_topic"] == 1
    assert emulator.calls()["group_open_http_svc/modify_group_base_info"] == 1
    assert emulator.names("@TGS#_env-sales-1") == ["Deals", u"线索"]

    emulator.reset_stats()
    second = run_play(role_tasks(communities), emulator)
    assert recap_changed(second) == 0 and emulator.writes() == 0
    assert not [group_id for group_id, entry in summary(second).items() if entry["changed"]]
    # One read per API per community, get_group_info once for all three, never a listing of the app.
    assert emulator.calls() == {"group_open_http_svc/get_group_info": 1, "million_group_open_http_svc/get_topic": 3}

    engineering = dict((t["TopicName"], t["TopicId"]) for t in emulator.rest.topics("@TGS#_env-engineering-1"))
    emulator.rest.modify_topic("@TGS#_env-engineering-1", engineering["General"], MuteAllMember="Off")
    emulator.rest.create_topic("@TGS#_env-engineering-1", "Stray")
    emulator.rest.call("group_open_http_svc/modify_group_base_info",
                       {"GroupId": "@TGS#_env-support-1", "Introduction": "changed behind Ansible's back"})
    emulator.reset_stats()
    repaired = summary(run_play(role_tasks(communities), emulator))
    assert (repaired["@TGS#_env-engineering-1"]["modified"], repaired["@TGS#_env-engineering-1"]["deleted"]) == (1, 1)
    assert repaired["@TGS#_env-support-1"]["community"] is None  # its introduction is not declared: left alone
    assert emulator.writes() == 2
    assert emulator.names("@TGS#_env-engineering-1") == ["General", "Help", "Releases"]


@pytest.mark.once
def test_bad_input_in_the_second_community_writes_nothing_and_sets_the_result(emulator):
    communities = environment("-2")[:2]
    communities[1]["topics"] = communities[1]["topics"] + [{"topic_name": "x" * 31}]
    play = run_play(rescued_role_tasks(communities), emulator)
    result = play.task("Show the summary after the failure")["communities_result"]
    assert result["failed"] and not result["changed"]
    assert ("communities[1] community 'Support' (id @TGS#_env-support-2): topics[2] topic '%s': topic_name is 31 "
            "bytes in UTF-8, more than the 30 allowed" % ("x" * 31)) in result["msg"]
    assert emulator.calls() == {} and emulator.writes() == 0  # not even a read


@pytest.mark.once
def test_a_failure_part_way_names_what_was_done_and_what_failed_per_community(emulator, webhook):
    webhook.configure(refuse={"forbidden": 10150})
    emulator.configure(callback_url=webhook.url, callback_token="hook-token")
    communities = environment("-3")[:2]
    communities[1]["topics"] = communities[1]["topics"] + [{"topic_name": "forbidden"}]
    play = run_play(rescued_role_tasks(communities), emulator)
    result = play.task("Show the summary after the failure")["communities_result"]
    assert result["failed"] and result["changed"]
    message = result["msg"]
    assert "community 'Support' (id @TGS#_env-support-3): created 1 community and 2 topics" in message
    assert "webhook refused creating topic 'forbidden' (10150" in message
    assert "Engineering" not in message  # nothing failed there
    assert sorted(emulator.names("@TGS#_env-engineering-3")) == ["General", "Help", "Releases"]

    emulator.reset_stats()
    webhook.configure(refuse={})
    rerun = summary(run_play(role_tasks(communities), emulator))
    assert rerun["@TGS#_env-support-3"]["created"] == 1 and emulator.writes() == 1

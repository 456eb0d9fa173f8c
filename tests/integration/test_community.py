# -*- coding: utf-8 -*-
"""tim.chat.tim_community (and its round trip with tim_community_info) against the emulator: check mode, then the
change, then the idempotent rerun that writes nothing."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest

from tests.integration.conftest import WRITE_COMMANDS, module_task, run_play

GROUP = "group_open_http_svc/"
TOPIC = "million_group_open_http_svc/"
ASSIGNED_GROUP = "@TGS#_@TGS#"
ASSIGNED_TOPIC = "@TOPIC#_@TOPIC#"
COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def faulty_run_then_rerun(emulator, communities, seed):
    """tim_community over ``communities`` while the backend fails 20% of the calls (10002) and drops the answer of
    20% of the writes after committing them, then, if it failed, one rerun without faults, which must succeed."""
    emulator.configure(error_rates={"10002": 0.2}, drop_rate=0.2, seed=seed)
    play = run_play([community_task("faulty run", ignore_errors=True, communities=communities, timeout=3)], emulator)
    first = play.task("faulty run")
    faults = emulator.stats()["faults"]
    emulator.configure(error_rates={}, drop_rate=0)
    assert faults["drop"] > 0 and faults["error"] > 0, faults
    assert "retry" in " ".join(first.get("warnings", []))
    if first["failed"]:  # what failed is named, what was done is kept: one rerun converges
        rerun = run_play([community_task("rerun", communities=communities)], emulator).task("rerun")
        assert not rerun["failed"], rerun["msg"]
    return first


def community_task(title, ignore_errors=False, **options):
    """A tim_community task; its own ``name`` option is the community's (module_task's would clash)."""
    task = {"name": title, "tim.chat.tim_community": options}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def check_apply_again(make_task, title, **options):
    """One declaration three times in a play: "check <title>" in check mode, "<title>", then "<title> again"."""
    return [dict(make_task("check " + title, **options), check_mode=True), make_task(title, **options),
            make_task(title + " again", **options)]


def info_task(name, register, **options):
    return module_task("tim.chat.tim_community_info", name, register=register, **options)


def run_counted(emulator, tasks, **play_options):
    """Run ``tasks`` in one play, the emulator's counters recorded after each (the admin endpoint is not counted).

    Returns the play and, per task name, what the emulator counted while that task ran (0 counts left out): the API
    calls it received (``calls``), the writes it committed (``writes``) and the faults (``faults``: ``throttled``...).
    """
    emulator.reset_stats()
    steps = []
    for task in tasks:
        steps += [task, {"name": "counters after " + task["name"],
                         "ansible.builtin.uri": dict(url=emulator.url + "/_emulator/stats", return_content=True)}]
    play = run_play(steps, emulator, **play_options)
    during, start = {}, {}
    for task in tasks:
        end = play.task("counters after " + task["name"])["json"]
        during[task["name"]] = dict((table, _increase(start.get(table, {}), end[table]))
                                    for table in ("calls", "writes", "faults"))
        start = end
    return play, during


def _increase(start, end):
    counts = dict((key, count - start.get(key, 0)) for key, count in end.items())
    return dict((key, count) for key, count in counts.items() if count)


def writes_in(calls):
    return sum(count for api, count in calls.items() if api.rsplit("/", 1)[-1] in WRITE_COMMANDS)


def unique():
    return uuid.uuid4().hex[:8]


def call(rest, api, body):
    """A set-up or check call through the test's own REST client; get_appid_group_list (1 call/s) is waited for."""
    for _attempt in range(10):
        answer = rest.call(api, body)
        if answer["ErrorCode"] != 10006:
            assert answer["ErrorCode"] == 0, answer
            return answer
        time.sleep(1.1)
    raise AssertionError("%s stayed throttled" % api)


def group(rest, group_id, keys=()):
    """get_group_info of one group (with the custom fields ``keys``), or None when it does not exist."""
    body = dict(GroupIdList=[group_id])
    if keys:
        body["ResponseFilter"] = dict(GroupBaseInfoFilter=["Type", "Name", "Introduction", "Notification"],
                                      AppDefinedDataFilter_Group=list(keys))
    info = call(rest, GROUP + "get_group_info", body)["GroupInfo"][0]
    return info if info["ErrorCode"] == 0 else None


def make_community(rest, group_id=None, name=None, topics=(), **fields):
    """A community made the real way (create_group, modify_group_base_info, create_topic), not by the module."""
    body = dict(Type="Community", Name=name, SupportTopic=1)
    if group_id:
        body["GroupId"] = group_id
    group_id = call(rest, GROUP + "create_group", body)["GroupId"]
    if fields:
        call(rest, GROUP + "modify_group_base_info", dict(fields, GroupId=group_id))
    ids = {}
    for topic in topics:
        topic = dict(topic)
        name, muted = topic.pop("TopicName"), topic.pop("MuteAllMember", None)
        ids[name] = rest.create_topic(group_id, name, **topic)
        if muted:
            rest.modify_topic(group_id, ids[name], MuteAllMember=muted)
    return group_id, ids


def communities_by_name(rest, prefix):
    """How many Community groups of the app have each name that starts with ``prefix``, and their IDs."""
    group_ids, following = [], 0
    while True:
        answer = call(rest, GROUP + "get_appid_group_list", dict(Limit=10000, Next=following, GroupType="Community"))
        group_ids.extend(item["GroupId"] for item in answer["GroupIdList"])
        following = answer["Next"]
        if not following:
            break
    found = {}
    for start in range(0, len(group_ids), 50):
        answer = call(rest, GROUP + "get_group_info", dict(GroupIdList=group_ids[start:start + 50]))
        for info in answer["GroupInfo"]:
            if info["ErrorCode"] == 0 and info["Name"].startswith(prefix):
                found.setdefault(info["Name"], []).append(info["GroupId"])
    return found


def topic_names(rest, group_id):
    return Counter(topic["TopicName"] for topic in rest.topics(group_id))


def test_create_by_custom_id_with_topics_check_then_change_then_rerun(emulator):
    tag = unique()
    group_id = "@TGS#_eng" + tag
    releases = group_id + "@TOPIC#_releases"
    wanted = dict(group_id=group_id, name="Eng " + tag, introduction=u"Everything \u6784\u5efa", notification="n1",
                  face_url="https://example.com/e.png", max_member_count=500, mute_all_member=True,
                  topics=[dict(topic_name="General", notification="Be nice"),
                          dict(topic_id=releases, topic_name="Releases", mute_all_member=True)])
    play = run_play(check_apply_again(community_task, "create", **wanted), emulator, diff=True)
    check, create, again = play.task("check create"), play.task("create"), play.task("create again")

    assert check["changed"]
    assert check["created"] == dict(
        communities=[dict(name="Eng " + tag, id=group_id)],
        topics=[dict(name="General", id="new topic 'General'", parent_id=group_id),
                dict(name="Releases", id=releases, parent_id=group_id)])
    assert check["modified"] == check["deleted"] == {}
    header = "community 'Eng %s' (%s)" % (tag, group_id)
    assert [(entry["before_header"], entry["before"]) for entry in check["diff"]] == [
        (header, ""), ("topic 'General' (new)", ""), ("topic 'Releases' (%s)" % releases, "")]
    assert check["diff"][0]["after"] == (u'face_url: "https://example.com/e.png"\n'
                                         u'introduction: "Everything \u6784\u5efa"\nmax_member_count: 500\n'
                                         u'mute_all_member: true\nname: "Eng %s"\nnotification: "n1"\n' % tag)

    assert create["changed"]
    assert create["created"]["communities"] == [dict(name="Eng " + tag, id=group_id)]
    assert create["community"]["group_id"] == group_id and create["community"]["mute_all_member"] is True
    topics = dict((topic["topic_name"], topic) for topic in create["community"]["topics"])
    assert topics["Releases"]["topic_id"] == releases
    assert topics["General"]["topic_id"].startswith(group_id + ASSIGNED_TOPIC)
    assert sorted(entry["id"] for entry in create["created"]["topics"]) == sorted(
        topic["topic_id"] for topic in topics.values())

    assert not again["changed"]
    assert again["created"] == again["modified"] == again["deleted"] == {} and again["changes"] == []
    assert again["community"]["group_id"] == group_id
    assert sorted(topic["topic_id"] for topic in again["community"]["topics"]) == sorted(
        topic["topic_id"] for topic in topics.values())

    calls = emulator.calls()
    # The muted community and the muted topic are created, then modified: nothing else is written, in no run.
    assert dict((api, count) for api, count in calls.items() if api.rsplit("/", 1)[-1] in WRITE_COMMANDS) == {
        GROUP + "create_group": 1, GROUP + "modify_group_base_info": 1, TOPIC + "create_topic": 2,
        TOPIC + "modify_topic": 1}
    assert GROUP + "get_appid_group_list" not in calls  # every community is named by its ID
    stored = group(emulator.rest, group_id)
    assert (stored["Name"], stored["Introduction"], stored["Notification"], stored["FaceUrl"], stored["MaxMemberNum"],
            stored["MuteAllMember"]) == ("Eng " + tag, u"Everything \u6784\u5efa", "n1", "https://example.com/e.png",
                                         500, "On")
    held = dict((topic["TopicName"], topic) for topic in emulator.rest.topics(group_id))
    assert (held["General"]["Notification"], held["General"]["MuteAllMember"]) == ("Be nice", "Off")
    assert (held["Releases"]["TopicId"], held["Releases"]["MuteAllMember"]) == (releases, "On")


@pytest.mark.once
def test_create_by_name_then_the_rerun_finds_it_by_name(emulator):
    name = "by name " + unique()
    play = run_play(check_apply_again(community_task, "create", name=name, introduction="found by name"), emulator)
    check, create, again = play.task("check create"), play.task("create"), play.task("create again")
    assert check["changed"] and check["created"] == dict(communities=[dict(name=name, id="new community '%s'" % name)])
    assert check["changes"] == [dict(kind="community", action="created", name=name, id=None)]
    group_id = create["community"]["group_id"]
    assert group_id.startswith(ASSIGNED_GROUP)
    assert create["created"] == dict(communities=[dict(name=name, id=group_id)])
    assert create["changes"] == [dict(kind="community", action="created", name=name, id=group_id)]
    assert not again["changed"] and again["community"]["group_id"] == group_id
    assert again["community"]["introduction"] == "found by name"
    assert emulator.writes() == 1
    assert communities_by_name(emulator.rest, name) == {name: [group_id]}


@pytest.mark.once
def test_two_communities_with_the_name_fail_naming_both_before_any_write(emulator):
    tag = unique()
    twin = "twin " + tag
    first = emulator.rest.create_community(name=twin)
    second = emulator.rest.create_community(name=twin)
    emulator.reset_stats()
    play = run_play([
        community_task("single", ignore_errors=True, name=twin, introduction="which one?"),
        community_task("listed", ignore_errors=True, communities=[
            dict(group_id="@TGS#_new" + tag, name="new " + tag), dict(name=twin, notification="which one?")]),
        community_task("listed twice", ignore_errors=True, communities=[dict(name="new " + tag),
                                                                        dict(name="new " + tag)]),
    ], emulator)
    listed_twice = play.task("listed twice")
    assert listed_twice["failed"] and "communities[1] community '%s': name is listed twice (also communities[0])" % (
        "new " + tag) in listed_twice["msg"], listed_twice["msg"]
    for name in ("single", "listed"):
        result = play.task(name)
        assert result["failed"] and not result["changed"]
        assert first in result["msg"] and second in result["msg"] and "group_id" in result["msg"], result["msg"]
    assert "communities[1]" in play.task("listed")["msg"]
    assert emulator.writes() == 0
    assert group(emulator.rest, "@TGS#_new" + tag) is None
    assert group(emulator.rest, first)["Introduction"] == group(emulator.rest, second)["Introduction"] == ""


@pytest.mark.once
def test_modify_sends_only_the_changed_field_and_an_empty_string_clears(emulator):
    tag = unique()
    group_id, _ids = make_community(emulator.rest, "@TGS#_mod" + tag, "Mod " + tag, Introduction="intro",
                                    Notification="n1", FaceUrl="https://example.com/m.png")
    ident = dict(group_id=group_id)
    emulator.reset_stats()
    play = run_play([
        dict(community_task("check modify", notification="n2", **ident), check_mode=True),
        community_task("modify one field", notification="n2", **ident),
        community_task("modify again", name="Mod " + tag, introduction="intro", notification="n2", **ident),
        community_task("clear a field", face_url="", **ident),
        community_task("clear again", face_url="", **ident),
    ], emulator, diff=True)
    check = play.task("check modify")
    header = "community 'Mod %s' (%s)" % (tag, group_id)
    assert check["changed"] and check["modified"] == dict(communities=[dict(name="Mod " + tag, id=group_id)])
    assert check["diff"] == [dict(before_header=header, after_header=header, before='notification: "n1"\n',
                                  after='notification: "n2"\n')]
    assert check["changes"] == [dict(kind="community", action="modified", name="Mod " + tag, id=group_id)]
    modify = play.task("modify one field")
    assert modify["changed"] and modify["modified"] == check["modified"]
    assert modify["community"]["notification"] == "n2" and modify["community"]["introduction"] == "intro"
    assert not play.task("modify again")["changed"]
    clear = play.task("clear a field")
    assert clear["changed"] and clear["community"]["face_url"] == ""
    assert clear["diff"][0]["before"] == 'face_url: "https://example.com/m.png"\n'
    assert clear["diff"][0]["after"] == 'face_url: ""\n'
    assert not play.task("clear again")["changed"]
    # The emulator's request log keeps no bodies: one modify call per change, and the fields not given as they were.
    # Five runs, one read each: no topic is read, none being declared.
    assert emulator.calls() == {GROUP + "get_group_info": 5, GROUP + "modify_group_base_info": 2}
    stored = group(emulator.rest, group_id)
    assert (stored["Name"], stored["Introduction"], stored["Notification"], stored["FaceUrl"]) == (
        "Mod " + tag, "intro", "n2", "")


@pytest.mark.once
def test_app_defined_data_compares_the_given_keys_and_an_undeclared_key_fails(emulator):
    emulator.configure(app_defined_keys=["team", "cost"])
    tag = unique()
    group_id = "@TGS#_data" + tag
    ident = dict(group_id=group_id, name="Data " + tag)
    play = run_play([
        dict(community_task("check create", app_defined_data=dict(team="platform"), **ident), check_mode=True),
        community_task("create", app_defined_data=dict(team="platform", cost=""), **ident),
        community_task("create again", app_defined_data=dict(team="platform"), **ident),
        community_task("add a key", app_defined_data=dict(cost="42"), **ident),
        community_task("delete a key", app_defined_data=dict(team=""), **ident),
        community_task("delete again", app_defined_data=dict(team="", cost="42"), **ident),
        community_task("undeclared on an existing one", ignore_errors=True, app_defined_data=dict(colour="red"),
                       **ident),
        community_task("undeclared on a new one", ignore_errors=True, group_id="@TGS#_dataX" + tag,
                       name="Data X " + tag, app_defined_data=dict(colour="red")),
    ], emulator, diff=True)
    assert play.task("check create")["diff"][0]["after"] == (
        'app_defined_data: {"team": "platform"}\nname: "Data %s"\n' % tag)
    create = play.task("create")
    assert create["changed"] and create["community"]["app_defined_data"] == dict(team="platform", cost="")
    assert not play.task("create again")["changed"]
    add = play.task("add a key")
    assert add["changed"] and add["diff"][0]["before"] == 'app_defined_data: {"cost": ""}\n'
    assert add["diff"][0]["after"] == 'app_defined_data: {"cost": "42"}\n'
    delete = play.task("delete a key")
    assert delete["changed"] and delete["diff"][0]["after"] == 'app_defined_data: {"team": ""}\n'
    assert not play.task("delete again")["changed"]
    for name in ("undeclared on an existing one", "undeclared on a new one"):
        failed = play.task(name)
        assert failed["failed"] and failed["error_code"] == 10004, failed
        assert "colour" in failed["msg"], failed["msg"]
        assert "must first be declared in the Chat console" in failed["msg"], failed["msg"]
    stored = group(emulator.rest, group_id, keys=["team", "cost"])
    assert stored["AppDefinedData"] == [dict(Key="cost", Value="42")]
    assert group(emulator.rest, "@TGS#_dataX" + tag) is None
    calls = emulator.calls()
    # The undeclared key is refused by the read (the custom fields are read by key), before any write.
    assert calls[GROUP + "create_group"] == 1 and calls[GROUP + "modify_group_base_info"] == 2


@pytest.mark.once
def test_absent_deletes_the_community_with_its_topics_and_a_missing_one_changes_nothing(emulator):
    tag = unique()
    group_id, _ids = make_community(emulator.rest, "@TGS#_gone" + tag, "Gone " + tag,
                                    topics=[dict(TopicName="a"), dict(TopicName="b")])
    emulator.reset_stats()
    play = run_play([
        dict(community_task("check absent", group_id=group_id, state="absent"), check_mode=True),
        community_task("absent", group_id=group_id, state="absent"),
        community_task("absent again", group_id=group_id, state="absent"),
        community_task("never existed", group_id="@TGS#_never" + tag, state="absent"),
        community_task("never existed by name", name="Never " + tag, state="absent"),
    ], emulator, diff=True)
    gone = dict(communities=[dict(name="Gone " + tag, id=group_id)])
    check, absent = play.task("check absent"), play.task("absent")
    assert check["changed"] and check["deleted"] == gone
    assert check["diff"][0]["after"] == "" and 'name: "Gone %s"' % tag in check["diff"][0]["before"]
    assert absent["changed"] and absent["deleted"] == gone and absent["community"] == {}
    assert absent["changes"] == [dict(kind="community", action="deleted", name="Gone " + tag, id=group_id)]
    for name in ("absent again", "never existed", "never existed by name"):
        assert not play.task(name)["changed"] and play.task(name)["deleted"] == {}, name
    assert emulator.calls()[GROUP + "destroy_group"] == 1 and emulator.writes() == 1
    assert group(emulator.rest, group_id) is None


def test_a_group_that_is_no_community_or_has_no_topics_fails_before_any_write(emulator):
    tag = unique()
    public = call(emulator.rest, GROUP + "create_group", dict(Type="Public", Name="Public " + tag))["GroupId"]
    plain = emulator.rest.create_community(group_id="@TGS#_plain" + tag, name="Plain " + tag, support_topic=0)
    emulator.reset_stats()
    play = run_play([
        community_task("public group", ignore_errors=True, group_id=public, name="Public " + tag),
        community_task("community without topics", ignore_errors=True, group_id=plain, introduction="changed",
                       topics=[dict(topic_name="a")]),
        community_task("listed", ignore_errors=True, communities=[
            dict(group_id="@TGS#_fine" + tag, name="Fine " + tag, topics=[dict(topic_name="a")]),
            dict(group_id=plain, introduction="changed", topics=[dict(topic_name="a")])]),
        community_task("profile only", group_id=plain, introduction="profile only"),
    ], emulator)
    result = play.task("public group")
    assert result["failed"] and public in result["msg"] and "not a community" in result["msg"], result["msg"]
    for name in ("community without topics", "listed"):
        result = play.task(name)
        assert result["failed"] and not result["changed"], result
        assert plain in result["msg"] and "topics are not enabled" in result["msg"], result["msg"]
    # Its profile alone is managed, the only write of the play: its topics are read by the two tasks that list
    # topics, not by this one.
    assert play.task("profile only")["changed"] and emulator.calls()[TOPIC + "get_topic"] == 2
    assert emulator.writes() == 1 and emulator.calls()[GROUP + "modify_group_base_info"] == 1
    assert group(emulator.rest, plain)["Introduction"] == "profile only"
    assert group(emulator.rest, "@TGS#_fine" + tag) is None


@pytest.mark.once
def test_five_communities_of_fifty_topics_read_once_and_rerun_writes_nothing(emulator):
    tag = unique()
    communities = [dict(group_id="@TGS#_five%s%d" % (tag, number), name="Five %s %d" % (tag, number),
                        introduction="community %d" % number,
                        topics=[dict(topic_name="t-%02d" % topic, notification="n%d" % topic) for topic in range(50)])
                   for number in range(5)]
    play, during = run_counted(emulator, check_apply_again(community_task, "apply", communities=communities))
    check, first, second = play.task("check apply"), play.task("apply"), play.task("apply again")
    tables = dict((run, counted["calls"]) for run, counted in during.items())
    committed = dict((run, counted["writes"]) for run, counted in during.items())
    throttled = dict((run, counted["faults"].get("throttled", 0)) for run, counted in during.items())
    print("5 x 50 call tables: %s; committed writes: %s; throttled: %s" % (tables, committed, throttled))
    assert tables["check apply"] == {GROUP + "get_group_info": 1}
    # The new communities' topics are not read: there are none yet. Each community and topic is written once; a
    # call the emulator throttled (the client's 200/s meets the emulator's window of 200 a second) is sent again.
    assert committed["apply"] == {GROUP + "create_group": 5, TOPIC + "create_topic": 250}
    assert tables["apply"] == {GROUP + "get_group_info": 1, GROUP + "create_group": 5,
                               TOPIC + "create_topic": 250 + throttled["apply"]}
    assert tables["apply again"] == {GROUP + "get_group_info": 1, TOPIC + "get_topic": 5}
    assert writes_in(tables["check apply"]) == writes_in(tables["apply again"]) == 0
    for result in (check, first):
        assert result["changed"]
        assert len(result["created"]["communities"]) == 5 and len(result["created"]["topics"]) == 250
    assert not second["changed"] and second["changes"] == []
    assert [community["group_id"] for community in second["communities"]] == [
        community["group_id"] for community in communities]
    assert all(len(community["topics"]) == 50 for community in second["communities"])
    for community in communities:
        assert topic_names(emulator.rest, community["group_id"]) == Counter("t-%02d" % topic for topic in range(50))


@pytest.mark.once
def test_info_output_copies_communities_into_another_app_and_the_rerun_changes_nothing(emulator, second_app):
    tag = unique()
    rest_a = emulator.rest
    custom, custom_topics = make_community(
        rest_a, "@TGS#_rt" + tag, "Copy A " + tag, Introduction="custom id", Notification="hello",
        topics=[dict(TopicName="Rules", TopicId="@TGS#_rt%s@TOPIC#_rules" % tag, Notification="read me"),
                dict(TopicName="Lobby", MuteAllMember="On")])
    assigned, assigned_topics = make_community(
        rest_a, None, "Copy B " + tag, FaceUrl="https://example.com/b.png", MuteAllMember="On",
        topics=[dict(TopicName="Chat", Introduction="talk")])
    assigned_topics["FAQ"] = rest_a.create_topic(assigned, "FAQ", TopicId=assigned + "@TOPIC#_faq",
                                                 CustomString="answers")
    rest_b = second_app.rest
    app_b = second_app.connection
    emulator.reset_stats()
    play = run_play([
        info_task("read app A", "source", group_ids=[custom, assigned], topics=True),
        dict(community_task("check copy", communities="{{ source.communities }}", **app_b), check_mode=True),
        community_task("copy into app B", communities="{{ source.communities }}", **app_b),
        community_task("copy again", communities="{{ source.communities }}", **app_b),
        info_task("read app B", "copied", topics=True, **app_b),
    ], emulator)
    assert play.rc == 0, play.stdout[-3000:]
    calls_b = second_app.stats()["calls"]
    names_b = communities_by_name(rest_b, "Copy ")

    source = play.task("read app A")["communities"]
    assert [community["name"] for community in source] == ["Copy A " + tag, "Copy B " + tag]
    check, copy, again = play.task("check copy"), play.task("copy into app B"), play.task("copy again")
    assert check["changed"] and len(check["created"]["communities"]) == 2 and len(check["created"]["topics"]) == 4
    assert copy["changed"] and len(copy["created"]["communities"]) == 2 and len(copy["created"]["topics"]) == 4
    assert not again["changed"] and again["changes"] == []
    # The custom community ID is kept; the server-assigned one is new, and the rerun found it by name.
    new_b = names_b["Copy B " + tag]
    assert names_b == {"Copy A " + tag: [custom], "Copy B " + tag: new_b} and len(new_b) == 1
    assert new_b[0].startswith(ASSIGNED_GROUP) and new_b[0] != assigned
    assert [community["group_id"] for community in again["communities"]] == [custom, new_b[0]]

    copied = play.task("read app B")["communities"]
    strip = ("group_id", "create_time", "last_info_time", "last_msg_time", "next_msg_seq", "member_num", "topics")
    assert [dict((key, value) for key, value in community.items() if key not in strip) for community in copied] == [
        dict((key, value) for key, value in community.items() if key not in strip) for community in source]
    for before, after in zip(source, copied):
        topic_strip = ("topic_id", "group_id", "create_time", "last_msg_time", "next_msg_seq", "self_info")
        assert [dict((key, value) for key, value in topic.items() if key not in topic_strip)
                for topic in after["topics"]] == [
            dict((key, value) for key, value in topic.items() if key not in topic_strip) for topic in before["topics"]]
        ids = dict((topic["topic_name"], topic["topic_id"]) for topic in after["topics"])
        for topic in before["topics"]:
            if ASSIGNED_TOPIC in topic["topic_id"]:
                assert ids[topic["topic_name"]].startswith(after["group_id"] + ASSIGNED_TOPIC)
            else:  # a custom topic ID keeps its custom part, on the new community's ID
                assert ids[topic["topic_name"]] == after["group_id"] + topic["topic_id"][len(before["group_id"]):]
    assert dict((topic["topic_name"], topic["topic_id"]) for topic in copied[0]["topics"])["Rules"] == \
        custom_topics["Rules"]

    # App B: one create per community and topic, the mutes after; app A was only read.
    assert dict((api, count) for api, count in calls_b.items() if api.rsplit("/", 1)[-1] in WRITE_COMMANDS) == {
        GROUP + "create_group": 2, GROUP + "modify_group_base_info": 1, TOPIC + "create_topic": 4,
        TOPIC + "modify_topic": 1}
    assert emulator.writes() == 0


@pytest.mark.once
def test_fault_run_ends_with_each_community_and_topic_exactly_once(emulator):
    tag = unique()
    prefix = "Fault %s " % tag
    topics = [dict(topic_name="f-%02d" % number, notification="n") for number in range(12)]
    communities = [dict(name=prefix + str(number), introduction="by name", topics=topics) for number in range(3)]
    communities += [dict(group_id="@TGS#_fault%s%d" % (tag, number), name=prefix + "custom %d" % number,
                         mute_all_member=True, topics=topics) for number in range(2)]
    faulty_run_then_rerun(emulator, communities, seed=5)
    found = communities_by_name(emulator.rest, prefix)
    assert sorted(found) == sorted(community["name"] for community in communities)
    assert all(len(ids) == 1 for ids in found.values()), found  # each community exactly once
    for ids in found.values():
        assert topic_names(emulator.rest, ids[0]) == Counter(topic["topic_name"] for topic in topics)
    emulator.reset_stats()
    final = run_play([community_task("converged", communities=communities)], emulator)
    assert not final.task("converged")["changed"] and emulator.writes() == 0


@pytest.mark.once
def test_check_mode_diff_and_results_name_every_changed_community_and_topic(emulator):
    tag = unique()
    kept, kept_topics = make_community(
        emulator.rest, "@TGS#_diff" + tag, "Diff X " + tag, Introduction="old",
        topics=[dict(TopicName="keep", Notification="n"), dict(TopicName="change", Notification="old"),
                dict(TopicName="drop")])
    doomed, _ids = make_community(emulator.rest, "@TGS#_doom" + tag, "Doomed " + tag)
    new_name = "Diff Y " + tag
    communities = [
        dict(group_id=kept, introduction="new", purge_topics=True,
             topics=[dict(topic_name="keep", notification="n"), dict(topic_name="change", notification="new"),
                     dict(topic_name="added")]),
        dict(name=new_name, topics=[dict(topic_name="y1")]),
        dict(group_id=doomed, state="absent"),
    ]
    emulator.reset_stats()
    play = run_play(check_apply_again(community_task, "apply", communities=communities), emulator, diff=True)
    check, apply, again = play.task("check apply"), play.task("apply"), play.task("apply again")
    x_header = "community 'Diff X %s' (%s)" % (tag, kept)
    change_id = kept_topics["change"]
    expected_diff = sorted([
        (x_header, 'introduction: "old"\n', 'introduction: "new"\n'),
        ("community '%s' (new)" % new_name, "", 'name: "%s"\n' % new_name),
        # A deletion shows what is lost: the name and every field that is not empty.
        ("community 'Doomed %s' (%s)" % (tag, doomed), 'max_member_count: 100000\nname: "Doomed %s"\n' % tag, ""),
        ("topic 'change' (%s)" % change_id, 'notification: "old"\n', 'notification: "new"\n'),
        ("topic 'added' (new)", "", 'topic_name: "added"\n'),
        ("topic 'drop' (%s)" % kept_topics["drop"], 'topic_name: "drop"\n', ""),
        ("topic 'y1' (new)", "", 'topic_name: "y1"\n'),
    ])
    assert sorted((entry["before_header"], entry["before"], entry["after"]) for entry in check["diff"]) == expected_diff
    assert all(entry["before_header"] == entry["after_header"] for entry in check["diff"])
    assert "+++ after: topic 'y1' (new)" in play.stdout and "--- before: %s" % x_header in play.stdout
    new_community = "new community '%s'" % new_name
    assert check["created"] == dict(
        communities=[dict(name=new_name, id=new_community)],
        topics=[dict(name="added", id="new topic 'added'", parent_id=kept),
                dict(name="y1", id="new topic 'y1'", parent_id=new_community)])
    assert check["modified"] == dict(communities=[dict(name="Diff X " + tag, id=kept)],
                                     topics=[dict(name="change", id=change_id, parent_id=kept)])
    assert check["deleted"] == dict(communities=[dict(name="Doomed " + tag, id=doomed)],
                                    topics=[dict(name="drop", id=kept_topics["drop"], parent_id=kept)])
    assert sorted((change["kind"], change["action"], change["name"]) for change in check["changes"]) == sorted([
        ("community", "modified", "Diff X " + tag), ("community", "created", new_name),
        ("community", "deleted", "Doomed " + tag), ("topic", "modified", "change"), ("topic", "created", "added"),
        ("topic", "deleted", "drop"), ("topic", "created", "y1")])

    assert apply["changed"] and len(apply["diff"]) == 7
    new_id = apply["created"]["communities"][0]["id"]
    assert new_id.startswith(ASSIGNED_GROUP)
    created_topics = dict((entry["name"], entry) for entry in apply["created"]["topics"])
    assert created_topics["y1"]["parent_id"] == new_id
    assert created_topics["y1"]["id"].startswith(new_id + ASSIGNED_TOPIC)
    assert created_topics["added"]["parent_id"] == kept
    assert apply["deleted"] == check["deleted"] and apply["modified"] == check["modified"]
    assert not again["changed"] and again["diff"] == [] and again["changes"] == []
    assert topic_names(emulator.rest, kept) == Counter(["keep", "change", "added"])
    assert topic_names(emulator.rest, new_id) == Counter(["y1"])
    assert group(emulator.rest, doomed) is None and group(emulator.rest, kept)["Introduction"] == "new"


@pytest.mark.once
def test_another_owner_of_an_existing_community_is_a_warning_and_nothing_changes(emulator):
    tag = unique()
    group_id = call(emulator.rest, GROUP + "create_group", dict(
        Type="Community", SupportTopic=1, GroupId="@TGS#_own" + tag, Name="Owned " + tag,
        Owner_Account="alice"))["GroupId"]
    emulator.reset_stats()
    play = run_play([
        dict(community_task("check other owner", group_id=group_id, owner_account="bob"), check_mode=True),
        community_task("other owner", group_id=group_id, name="Owned " + tag, owner_account="bob"),
        community_task("same owner", group_id=group_id, owner_account="alice"),
        community_task("create with an owner", group_id="@TGS#_own2" + tag, name="Owned 2 " + tag,
                       owner_account="alice"),
        community_task("create with an owner again", group_id="@TGS#_own2" + tag, owner_account="alice"),
    ], emulator)
    for name in ("check other owner", "other owner"):
        result = play.task(name)
        assert not result["changed"] and result["changes"] == []
        warning = " ".join(result["warnings"])
        assert "owner_account 'alice', not 'bob'" in warning and group_id in warning, result["warnings"]
    assert not play.task("same owner")["changed"] and not play.task("same owner").get("warnings")
    assert play.task("create with an owner")["changed"]
    again = play.task("create with an owner again")
    assert not again["changed"] and not again.get("warnings")
    assert emulator.writes() == 1  # the creation
    assert group(emulator.rest, group_id)["Owner_Account"] == "alice"
    assert group(emulator.rest, "@TGS#_own2" + tag)["Owner_Account"] == "alice"


@pytest.mark.once
def test_info_reports_missing_ids_non_communities_and_app_defined_data(emulator):
    emulator.configure(app_defined_keys=["team"])
    tag = unique()
    first, _ids = make_community(emulator.rest, "@TGS#_infob" + tag, "Info B " + tag,
                                 topics=[dict(TopicName="z"), dict(TopicName="a")])
    call(emulator.rest, GROUP + "modify_group_base_info", dict(GroupId=first, AppDefinedData=[
        dict(Key="team", Value="ops")]))
    plain = emulator.rest.create_community(group_id="@TGS#_infoa" + tag, name="Info A " + tag, support_topic=0)
    public = call(emulator.rest, GROUP + "create_group", dict(Type="Public", Name="Info P " + tag))["GroupId"]
    missing = "@TGS#_infomissing" + tag
    emulator.reset_stats()
    play = run_play([
        info_task("read", "found", group_ids=[first, plain, public, missing], topics=True,
                  app_defined_data_keys=["team"]),
        dict(info_task("read in check mode", "again", group_ids=[first]), check_mode=True),
    ], emulator)
    found = play.task("read")
    assert not found["changed"]
    assert [community["group_id"] for community in found["communities"]] == [plain, first]  # sorted by name
    assert found["missing"] == [public, missing]
    first_found = found["communities"][1]
    assert first_found["app_defined_data"] == dict(team="ops") and first_found["type"] == "Community"
    assert [topic["topic_name"] for topic in first_found["topics"]] == ["a", "z"]
    assert "topics" not in found["communities"][0]
    assert any(plain in warning and "without topics" in warning for warning in found["warnings"])
    assert play.task("read in check mode")["communities"][0]["group_id"] == first
    assert "app_defined_data" not in play.task("read in check mode")["communities"][0]
    assert emulator.writes() == 0


def test_ansible_doc_renders_every_module():
    """Both community modules, and the others: a broken shared doc fragment breaks them all."""
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(COLLECTION, "plugins", "modules"))
                     if name.endswith(".py") and not name.startswith("_"))
    assert "tim_community" in modules and "tim_community_info" in modules
    process = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json"]
                             + ["tim.chat." + name for name in modules],
                             capture_output=True, text=True, timeout=120, check=False)
    assert process.returncode == 0 and "ERROR" not in process.stderr, process.stderr
    docs = json.loads(process.stdout)
    assert sorted(docs) == ["tim.chat." + name for name in modules]
    for name, doc in docs.items():
        assert doc["doc"]["module"] == name.split(".")[-1] and doc["examples"] and doc["return"], name
    options = docs["tim.chat.tim_community"]["doc"]["options"]
    assert "communities" in options and "base_url" in options  # its own options and the connection fragment's

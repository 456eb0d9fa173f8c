# -*- coding: utf-8 -*-
"""tim.chat.tim_permission_group, and permission groups nested in tim_community and read by tim_community_info,
against the emulator: check mode, then the change, then the idempotent rerun that writes nothing."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import json
import os
import subprocess
import sys
from collections import Counter

from tests.integration.conftest import run_play
from tests.integration.test_community import (
    call,
    check_apply_again,
    community_task,
    faulty_run_then_rerun,
    info_task,
    make_community,
    run_counted,
    unique,
    writes_in,
)

GROUP = "group_open_http_svc/"
TOPIC = "million_group_open_http_svc/"
ASSIGNED_PMG = "@PMG#_@PMG#"
ASSIGNED_TOPIC = "@TOPIC#_@TOPIC#"
# The permission bits by name, as permission-groups-overview.md numbers them: the test's own table, not the module's.
COMMUNITY_BITS = dict((name, 1 << bit) for bit, name in enumerate([
    "manage_group_info", "manage_group_member", "manage_permission_group_info", "manage_permission_group_member",
    "manage_topic_in_community", "mute_member", "send_message", "at_all", "get_history_message",
    "revoke_other_member_message", "ban_member"]))
TOPIC_BITS = dict((name, 1 << bit) for bit, name in enumerate([
    "manage_topic", "manage_topic_permission", "mute_member", "send_message", "get_history_message",
    "revoke_other_member_message", "at_all"]))


def community_value(*names):
    return sum(COMMUNITY_BITS[name] for name in names)


def topic_value(*names):
    return sum(TOPIC_BITS[name] for name in names)


def pg_task(title, ignore_errors=False, check_mode=None, **options):
    """A tim_permission_group task; its own ``name`` option is the permission group's (module_task's would clash)."""
    task = {"name": title, "tim.chat.tim_permission_group": options}
    if ignore_errors:
        task["ignore_errors"] = True
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


# --- the app as the test's own REST client sees it ---------------------------------------------------


def make_permission_group(rest, group_id, name, permission=0, permission_group_id=None, custom_string=None,
                          topics=None, members=()):
    """A permission group made the real way (create, add topic permissions, add members), not by the module."""
    body = dict(GroupId=group_id, PermissionGroupName=name, Permission=permission)
    if permission_group_id:
        body["PermissionGroupId"] = permission_group_id
    if custom_string is not None:
        body["CustomString"] = custom_string
    answer = call(rest, GROUP + "create_permission_group", body)
    permission_group_id = permission_group_id or answer["PermissionGroupId"]
    if topics:
        call(rest, GROUP + "add_topic_permission_group", dict(
            GroupId=group_id, PermissionGroupId=permission_group_id,
            TopicPermissionList=[dict(TopicId=topic_id, Permission=value) for topic_id, value in topics.items()]))
    members = list(members)
    for start in range(0, len(members), 100):
        call(rest, GROUP + "add_permission_group_member", dict(
            GroupId=group_id, PermissionGroupId=permission_group_id,
            MemberList=[dict(Member_Account=member) for member in members[start:start + 100]]))
    return permission_group_id


def permission_groups(rest, group_id):
    """[get_permission_group item] of a community, every page, in the server's order."""
    found, following = [], ""
    while True:
        answer = call(rest, GROUP + "get_permission_group", dict(GroupId=group_id, Limit=20, Next=following))
        found.extend(answer["PermissionGroupInfoList"])
        following = answer["Next"]
        if not following:
            return found


def by_name(rest, group_id):
    """{name: [permission group IDs]} of a community: a name listed twice shows as two IDs."""
    found = {}
    for item in permission_groups(rest, group_id):
        found.setdefault(item["PermissionGroupName"], []).append(item["PermissionGroupId"])
    return found


def permission_group(rest, group_id, permission_group_id):
    """get_permission_group of one permission group: (name, Permission, CustomString), or None when it is gone."""
    item = call(rest, GROUP + "get_permission_group", dict(
        GroupId=group_id, PermissionGroupIdList=[permission_group_id]))["PermissionGroupInfoList"][0]
    if item["ErrorCode"]:
        return None
    return item["PermissionGroupName"], item["Permission"], item["CustomString"]


def topic_permission_list(rest, group_id, permission_group_id):
    """[(TopicId, Permission)] of a permission group, as the server lists them (a duplicate would show)."""
    body = dict(GroupId=group_id, PermissionGroupId=permission_group_id)
    answer = call(rest, GROUP + "get_topic_permission_group", body)
    return [(item["TopicId"], item["Permission"]) for item in answer["TopicPermissionResultList"]]


def topic_permissions(rest, group_id, permission_group_id):
    return dict(topic_permission_list(rest, group_id, permission_group_id))


def member_list(rest, group_id, permission_group_id):
    """The members of a permission group, every page, as the server lists them (a duplicate would show)."""
    found, following = [], ""
    while True:
        answer = call(rest, GROUP + "get_permission_group_member_list", dict(
            GroupId=group_id, PermissionGroupId=permission_group_id, Limit=50, Next=following))
        found.extend(item["Member_Account"] for item in answer["MemberList"])
        following = answer["Next"]
        if not following:
            return found


def topic_ids(rest, group_id):
    return dict((topic["TopicName"], topic["TopicId"]) for topic in rest.topics(group_id))


def headers(result):
    """(before_header, before, after) of each diff entry of a result, sorted."""
    assert all(entry["before_header"] == entry["after_header"] for entry in result["diff"]), result["diff"]
    return sorted((entry["before_header"], entry["before"], entry["after"]) for entry in result["diff"])


def pair(group_id, permission_group_id):
    """A topic permission's or a member's parent_id: the pair community, permission group."""
    return [group_id, permission_group_id]


# --- the tests -----------------------------------------------------------------------------------------


def test_create_by_custom_id_and_by_name_check_then_change_then_rerun(emulator):
    tag = unique()
    group_id, topics = make_community(emulator.rest, "@TGS#_pgc" + tag, "PG create " + tag,
                                      topics=[dict(TopicName="General"), dict(TopicName="News")])
    moderators = "@PMG#_mods" + tag
    custom = dict(group_id=group_id, permission_group_id=moderators, name="Moderators",
                  permissions=["send_message", "mute_member", "send_message"], custom_string="mods",
                  topic_permissions=[dict(topic_name="General", permissions=["send_message", "at_all"]),
                                     dict(topic_id=topics["News"], permissions=["manage_topic"])],
                  members=["alice", "bob"])
    named = dict(group_id=group_id, name="Readers", permissions=["get_history_message"],
                 topic_permissions=[dict(topic_name="News", permissions=["get_history_message"])])
    emulator.reset_stats()
    play = run_play([
        pg_task("check custom", check_mode=True, **custom),
        pg_task("check named", check_mode=True, **named),
        pg_task("create custom", **custom),
        pg_task("create named", **named),
        pg_task("custom again", **custom),
        pg_task("named again", **named),
    ], emulator, diff=True)
    check, create, again = play.task("check custom"), play.task("create custom"), play.task("custom again")
    check_named, create_named = play.task("check named"), play.task("create named")
    named_again = play.task("named again")

    mods = pair(group_id, moderators)
    expected_created = dict(
        permission_groups=[dict(name="Moderators", id=moderators, parent_id=group_id)],
        topic_permissions=[dict(name="General", id=topics["General"], parent_id=mods),
                           dict(name="News", id=topics["News"], parent_id=mods)],
        members=[dict(name="alice", id="alice", parent_id=mods), dict(name="bob", id="bob", parent_id=mods)])
    for result in (check, create):
        assert result["changed"] and result["created"] == expected_created, result["created"]
        assert result["modified"] == result["deleted"] == {}
        assert sorted((change["kind"], change["action"], change["name"]) for change in result["changes"]) == [
            ("member", "created", "alice"), ("member", "created", "bob"),
            ("permission group", "created", "Moderators"), ("topic permission", "created", "General"),
            ("topic permission", "created", "News")]
        assert headers(result) == [
            ("member alice", "", 'member_account: "alice"\n'), ("member bob", "", 'member_account: "bob"\n'),
            ("permission group 'Moderators' (%s)" % moderators, "",
             'custom_string: "mods"\nname: "Moderators"\npermissions: ["mute_member", "send_message"]\n'),
            ("topic permission 'General' (%s)" % topics["General"], "", 'permissions: ["send_message", "at_all"]\n'),
            ("topic permission 'News' (%s)" % topics["News"], "", 'permissions: ["manage_topic"]\n')]
        declared = result["permission_group"]
        # The names once each, in bit order, and their integer.
        assert declared["permissions"] == ["mute_member", "send_message"]
        assert declared["permission_value"] == community_value("mute_member", "send_message") == 96
        assert [(entry["topic_name"], entry["topic_id"], entry["permissions"], entry["permission_value"])
                for entry in declared["topic_permissions"]] == [
            ("General", topics["General"], ["send_message", "at_all"], topic_value("send_message", "at_all")),
            ("News", topics["News"], ["manage_topic"], 1)]
        assert declared["members"] == ["alice", "bob"]

    # Found by name: in check mode the server's ID is not known yet.
    assert check_named["created"]["permission_groups"] == [
        dict(name="Readers", id="new permission group 'Readers'", parent_id=group_id)]
    assert headers(check_named)[0][0] == "permission group 'Readers' (new)"
    readers = create_named["permission_group"]["permission_group_id"]
    assert readers.startswith(ASSIGNED_PMG)
    assert create_named["created"] == dict(
        permission_groups=[dict(name="Readers", id=readers, parent_id=group_id)],
        topic_permissions=[dict(name="News", id=topics["News"], parent_id=pair(group_id, readers))])
    assert "permission group 'Readers' (%s)" % readers in [entry["before_header"] for entry in create_named["diff"]]
    assert create_named["permission_group"]["permission_value"] == 256

    for result in (again, named_again):
        assert not result["changed"] and result["changes"] == [] and result["diff"] == []
        assert result["created"] == result["modified"] == result["deleted"] == {}
    assert again["permission_group"]["permission_group_id"] == moderators
    assert again["permission_group"]["member_count"] == 2 and again["permission_group"]["custom_string"] == "mods"
    assert named_again["permission_group"]["permission_group_id"] == readers  # found again by its name

    calls = emulator.calls()
    assert dict((api, count) for api, count in calls.items() if writes_in({api: count})) == {
        GROUP + "create_permission_group": 2, GROUP + "add_topic_permission_group": 2,
        GROUP + "add_permission_group_member": 1}
    assert by_name(emulator.rest, group_id) == {"Moderators": [moderators], "Readers": [readers]}
    assert permission_group(emulator.rest, group_id, moderators) == ("Moderators", 96, "mods")
    assert topic_permissions(emulator.rest, group_id, moderators) == {
        topics["General"]: topic_value("send_message", "at_all"), topics["News"]: 1}
    assert member_list(emulator.rest, group_id, moderators) == ["alice", "bob"]
    assert topic_permissions(emulator.rest, group_id, readers) == {topics["News"]: 16}


@pytest.mark.once
def test_a_lost_create_answer_finds_the_new_permission_group_by_name(emulator):
    """The server gives the new ID in the answer; when that answer is lost, the permission group is found by its
    name, and is created once."""
    tag = unique()
    group_id, _topics = make_community(emulator.rest, "@TGS#_pgl" + tag, "PG lost " + tag)
    emulator.reset_stats()
    wanted = dict(group_id=group_id, name="Lost answer", permissions=["at_all"])
    # Every answer to a write is lost (the write is committed first); reads are answered.
    emulator.configure(drop_rate=1.0)
    play = run_play([
        pg_task("check", check_mode=True, **wanted),
        pg_task("create, answer lost", **wanted),
        pg_task("create again", **wanted),
    ], emulator)
    emulator.configure(drop_rate=0)
    check, created, again = play.task("check"), play.task("create, answer lost"), play.task("create again")
    assert check["changed"] and check["created"] == dict(permission_groups=[dict(
        name="Lost answer", id="new permission group 'Lost answer'", parent_id=group_id)])
    assert not created["failed"] and created["changed"], created["msg"]
    assert "create_permission_group: retry 1" in " ".join(created["warnings"])
    found = by_name(emulator.rest, group_id)
    assert found == {"Lost answer": [created["permission_group"]["permission_group_id"]]}
    assert found["Lost answer"][0].startswith(ASSIGNED_PMG)
    assert created["created"] == dict(permission_groups=[dict(name="Lost answer", id=found["Lost answer"][0],
                                                              parent_id=group_id)])
    assert not again["changed"] and again["permission_group"]["permission_group_id"] == found["Lost answer"][0]
    assert emulator.calls()[GROUP + "create_permission_group"] == 1 and emulator.stats()["faults"]["drop"] == 1


@pytest.mark.once
def test_changing_permissions_sends_only_permission(emulator):
    tag = unique()
    group_id, topics = make_community(emulator.rest, "@TGS#_pgm" + tag, "PG modify " + tag,
                                      topics=[dict(TopicName="General")])
    editors = make_permission_group(emulator.rest, group_id, "Editors", community_value("send_message"),
                                    "@PMG#_ed" + tag, custom_string="keep me", topics={topics["General"]: 8},
                                    members=["alice"])
    ident = dict(group_id=group_id, permission_group_id=editors)
    emulator.reset_stats()
    play = run_play([
        pg_task("check", check_mode=True, permissions=["send_message", "at_all"], **ident),
        pg_task("change", permissions=["send_message", "at_all"], **ident),
        pg_task("change again", name="Editors", custom_string="keep me", permissions=["at_all", "send_message"],
                **ident),
        pg_task("none at all", permissions=[], **ident),
        pg_task("none again", permissions=[], **ident),
    ], emulator, diff=True)
    header = "permission group 'Editors' (%s)" % editors
    for name in ("check", "change"):
        result = play.task(name)
        assert result["changed"] and result["modified"] == dict(
            permission_groups=[dict(name="Editors", id=editors, parent_id=group_id)])
        assert result["created"] == result["deleted"] == {}
        assert result["changes"] == [dict(kind="permission group", action="modified", name="Editors", id=editors,
                                          parent_id=group_id)]
        # Only the permissions differ: only they are shown (and sent).
        assert headers(result) == [(header, 'permissions: ["send_message"]\n',
                                    'permissions: ["send_message", "at_all"]\n')]
        assert result["permission_group"]["permission_value"] == 192
    assert not play.task("change again")["changed"]
    none = play.task("none at all")
    assert none["changed"] and none["permission_group"]["permissions"] == []
    assert none["permission_group"]["permission_value"] == 0
    assert headers(none) == [(header, 'permissions: ["send_message", "at_all"]\n', "permissions: []\n")]
    assert not play.task("none again")["changed"]
    # Five runs, one read of the permission groups each; one modify per change, and no other write. Neither the
    # topic permissions nor the members are read: they are not declared.
    assert emulator.calls() == {GROUP + "get_group_info": 5, TOPIC + "get_topic": 5, GROUP + "get_permission_group": 5,
                                GROUP + "modify_permission_group": 2}
    # The fields not given are as they were: the name, the custom string, the topic permission and the member.
    assert permission_group(emulator.rest, group_id, editors) == ("Editors", 0, "keep me")
    assert topic_permissions(emulator.rest, group_id, editors) == {topics["General"]: 8}
    assert member_list(emulator.rest, group_id, editors) == ["alice"]


@pytest.mark.once
def test_topic_permissions_added_changed_and_purged_by_topic_id_and_name(emulator):
    tag = unique()
    group_id, topics = make_community(emulator.rest, "@TGS#_pgt" + tag, "PG topics " + tag, topics=[
        dict(TopicName="Alpha"), dict(TopicName="Beta"), dict(TopicName="Gamma"), dict(TopicName="Delta")])
    held = {topics["Alpha"]: topic_value("send_message"), topics["Beta"]: topic_value("at_all"),
            topics["Gamma"]: topic_value("mute_member")}
    team = make_permission_group(emulator.rest, group_id, "Team", 0, "@PMG#_team" + tag, topics=held)
    wanted = dict(group_id=group_id, permission_group_id=team, purge_topic_permissions=True, topic_permissions=[
        dict(topic_id=topics["Alpha"], permissions=["send_message", "get_history_message"]),  # changed
        dict(topic_name="Beta", permissions=["at_all"]),  # as it is
        dict(topic_name="Delta", permissions=["manage_topic", "manage_topic_permission"]),  # added
    ])  # Gamma: purged
    emulator.reset_stats()
    play = run_play(check_apply_again(pg_task, "apply", **wanted) + [
        # Without purge_topic_permissions, an entry not listed is left alone.
        pg_task("one listed, no purge", group_id=group_id, permission_group_id=team,
                topic_permissions=[dict(topic_name="Delta", permissions=["manage_topic", "manage_topic_permission"])]),
    ], emulator, diff=True)
    parent = pair(group_id, team)
    for name in ("check apply", "apply"):
        result = play.task(name)
        assert result["changed"]
        assert result["created"] == dict(topic_permissions=[dict(name="Delta", id=topics["Delta"], parent_id=parent)])
        assert result["modified"] == dict(topic_permissions=[dict(name="Alpha", id=topics["Alpha"], parent_id=parent)])
        assert result["deleted"] == dict(topic_permissions=[dict(name="Gamma", id=topics["Gamma"], parent_id=parent)])
        assert headers(result) == [
            ("topic permission 'Alpha' (%s)" % topics["Alpha"], 'permissions: ["send_message"]\n',
             'permissions: ["send_message", "get_history_message"]\n'),
            ("topic permission 'Delta' (%s)" % topics["Delta"], "",
             'permissions: ["manage_topic", "manage_topic_permission"]\n'),
            ("topic permission 'Gamma' (%s)" % topics["Gamma"], 'permissions: ["mute_member"]\n', "")]
        assert [(entry["topic_name"], entry["permission_value"])
                for entry in result["permission_group"]["topic_permissions"]] == [("Alpha", 24), ("Beta", 64),
                                                                                  ("Delta", 3)]
    again = play.task("apply again")
    assert not again["changed"] and again["changes"] == []
    assert not play.task("one listed, no purge")["changed"]
    calls = emulator.calls()
    assert dict((api, count) for api, count in calls.items() if writes_in({api: count})) == {
        GROUP + "set_topic_permission_group": 1, GROUP + "add_topic_permission_group": 1,
        GROUP + "delete_topic_permission_group": 1}
    assert calls[GROUP + "get_topic_permission_group"] == 4  # once per run
    assert topic_permissions(emulator.rest, group_id, team) == {
        topics["Alpha"]: 24, topics["Beta"]: 64, topics["Delta"]: 3}


@pytest.mark.once
def test_topic_permission_on_a_topic_created_in_the_same_run(emulator):
    """Nested in tim_community: a permission group names, by name, a topic that the same run creates (and one that
    the run renames is named by its new name)."""
    tag = unique()
    group_id, topics = make_community(emulator.rest, "@TGS#_pgs" + tag, "PG same run " + tag,
                                      topics=[dict(TopicName="Old name")])
    pmg = "@PMG#_ops" + tag
    wanted = dict(group_id=group_id, topics=[dict(topic_name="Fresh"),
                                             dict(topic_id=topics["Old name"], topic_name="New name")],
                  permission_groups=[dict(
                      permission_group_id=pmg, name="Ops", permissions=["manage_topic_in_community"],
                      topic_permissions=[dict(topic_name="Fresh", permissions=["send_message"]),
                                         dict(topic_name="New name", permissions=["at_all"])])])
    # A community, a permission group and a topic that the server is to name: check mode names each as its own
    # entry is, a member's and a topic permission's parent_id staying a pair.
    unborn = dict(name="PG unborn " + tag, topics=[dict(topic_name="Fresh")], permission_groups=[dict(
        name="Ops", members=["ann"], topic_permissions=[dict(topic_name="Fresh", permissions=["at_all"])])])
    emulator.reset_stats()
    play = run_play(check_apply_again(community_task, "apply", **wanted) + [
        dict(community_task("check a new community", **unborn), check_mode=True),
    ], emulator, diff=True)
    check, apply, again = play.task("check apply"), play.task("apply"), play.task("apply again")
    new_community, new_group = "new community 'PG unborn %s'" % tag, "new permission group 'Ops'"
    assert play.task("check a new community")["created"] == dict(
        communities=[dict(name="PG unborn " + tag, id=new_community)],
        topics=[dict(name="Fresh", id="new topic 'Fresh'", parent_id=new_community)],
        permission_groups=[dict(name="Ops", id=new_group, parent_id=new_community)],
        topic_permissions=[dict(name="Fresh", id="new topic 'Fresh'", parent_id=[new_community, new_group])],
        members=[dict(name="ann", id="ann", parent_id=[new_community, new_group])])
    parent = pair(group_id, pmg)
    assert check["changed"]
    assert check["created"]["topic_permissions"] == [
        dict(name="Fresh", id="new topic 'Fresh'", parent_id=parent),
        dict(name="New name", id=topics["Old name"], parent_id=parent)]
    assert "topic permission 'Fresh' (new)" in [entry["before_header"] for entry in check["diff"]]
    assert apply["changed"]
    fresh = [entry["id"] for entry in apply["created"]["topics"] if entry["name"] == "Fresh"][0]
    assert fresh.startswith(group_id + ASSIGNED_TOPIC)
    assert apply["created"]["topic_permissions"] == [dict(name="Fresh", id=fresh, parent_id=parent),
                                                     dict(name="New name", id=topics["Old name"], parent_id=parent)]
    assert [(entry["topic_name"], entry["topic_id"]) for entry in
            apply["community"]["permission_groups"][0]["topic_permissions"]] == [("Fresh", fresh),
                                                                                 ("New name", topics["Old name"])]
    assert not again["changed"] and again["changes"] == []
    assert topic_permissions(emulator.rest, group_id, pmg) == {fresh: 8, topics["Old name"]: 64}
    assert topic_ids(emulator.rest, group_id) == {"Fresh": fresh, "New name": topics["Old name"]}


@pytest.mark.once
def test_members_added_and_purged_across_the_batch_limit(emulator):
    tag = unique()
    group_id, _topics = make_community(emulator.rest, "@TGS#_pgb" + tag, "PG members " + tag)
    crowd = "@PMG#_crowd" + tag
    everyone = ["user%03d" % number for number in range(150)]
    kept = everyone[:30]
    ident = dict(group_id=group_id, permission_group_id=crowd, name="Crowd")
    play, during = run_counted(emulator, [
        pg_task("check add", check_mode=True, members=everyone, **ident),
        pg_task("add 150", members=everyone, **ident),
        pg_task("add again", members=everyone, **ident),
        pg_task("check purge", check_mode=True, members=kept, purge_members=True, **ident),
        pg_task("purge 120", members=kept, purge_members=True, **ident),
        pg_task("purge again", members=kept, purge_members=True, **ident),
    ], diff=True)
    parent = pair(group_id, crowd)
    for name in ("check add", "add 150"):
        result = play.task(name)
        assert result["changed"] and result["created"]["members"] == [
            dict(name=member, id=member, parent_id=parent) for member in everyone]
    assert play.task("add 150")["permission_group"]["members"] == everyone
    for name in ("check purge", "purge 120"):
        result = play.task(name)
        assert result["changed"] and result["created"] == result["modified"] == {}
        assert result["deleted"] == dict(members=[dict(name=member, id=member, parent_id=parent)
                                                  for member in everyone[30:]])
        assert sorted(entry["before_header"] for entry in result["diff"]) == ["member " + member
                                                                              for member in everyone[30:]]
    for name in ("add again", "purge again"):
        assert not play.task(name)["changed"] and play.task(name)["changes"] == []
    assert play.task("purge again")["permission_group"]["members"] == kept
    assert play.task("purge again")["permission_group"]["member_count"] == 30
    tables = dict((name, counted["calls"]) for name, counted in during.items())
    member_page = GROUP + "get_permission_group_member_list"
    reads = {GROUP + "get_group_info": 1, TOPIC + "get_topic": 1, GROUP + "get_permission_group": 1}
    assert tables["check add"] == reads  # a new permission group: no member to read
    # 150 members: 2 add calls of at most 100; read back in pages of 50.
    assert tables["add 150"] == dict(reads, **{GROUP + "create_permission_group": 1,
                                               GROUP + "add_permission_group_member": 2})
    assert tables["add again"] == dict(reads, **{member_page: 3})
    assert tables["check purge"] == dict(reads, **{member_page: 3})
    # 120 to remove: 2 delete calls of at most 100.
    assert tables["purge 120"] == dict(reads, **{member_page: 3, GROUP + "delete_permission_group_member": 2})
    assert tables["purge again"] == dict(reads, **{member_page: 1})
    assert member_list(emulator.rest, group_id, crowd) == kept


@pytest.mark.once
def test_list_form_results_name_every_change_and_purge_deletes_the_others(emulator):
    tag = unique()
    group_id, topics = make_community(emulator.rest, "@TGS#_pgr" + tag, "PG results " + tag, topics=[
        dict(TopicName="T1"), dict(TopicName="T2"), dict(TopicName="T3")])
    editors = make_permission_group(emulator.rest, group_id, "Editors", community_value("send_message"),
                                    "@PMG#_ed" + tag, topics={topics["T1"]: 8, topics["T2"]: 64},
                                    members=["ann", "ben", "cat"])
    old = make_permission_group(emulator.rest, group_id, "Old", community_value("ban_member"), members=["ann"])
    wanted = [
        dict(permission_group_id=editors, permissions=["send_message", "at_all"],
             topic_permissions=[dict(topic_name="T1", permissions=["send_message", "get_history_message"]),
                                dict(topic_name="T3", permissions=["manage_topic"])],
             purge_topic_permissions=True, members=["ann", "ben", "dan"], purge_members=True),
        dict(name="Viewers", permissions=["get_history_message"], members=["eve"]),
    ]
    emulator.reset_stats()
    play = run_play(check_apply_again(pg_task, "apply", group_id=group_id, permission_groups=wanted, purge=True),
                    emulator, diff=True)
    check, apply, again = play.task("check apply"), play.task("apply"), play.task("apply again")
    viewers = apply["permission_groups"][1]["permission_group_id"]
    assert viewers.startswith(ASSIGNED_PMG)
    eds = pair(group_id, editors)
    for result, new_id in ((check, "new permission group 'Viewers'"), (apply, viewers)):
        assert result["changed"]
        assert result["created"] == dict(
            permission_groups=[dict(name="Viewers", id=new_id, parent_id=group_id)],
            topic_permissions=[dict(name="T3", id=topics["T3"], parent_id=eds)],
            members=[dict(name="dan", id="dan", parent_id=eds),
                     dict(name="eve", id="eve", parent_id=pair(group_id, new_id))])
        assert result["modified"] == dict(
            permission_groups=[dict(name="Editors", id=editors, parent_id=group_id)],
            topic_permissions=[dict(name="T1", id=topics["T1"], parent_id=eds)])
        assert result["deleted"] == dict(
            permission_groups=[dict(name="Old", id=old, parent_id=group_id)],
            topic_permissions=[dict(name="T2", id=topics["T2"], parent_id=eds)],
            members=[dict(name="cat", id="cat", parent_id=eds)])
        assert headers(result) == sorted([
            ("permission group 'Editors' (%s)" % editors, 'permissions: ["send_message"]\n',
             'permissions: ["send_message", "at_all"]\n'),
            ("permission group 'Viewers' (%s)" % ("new" if result is check else viewers), "",
             'name: "Viewers"\npermissions: ["get_history_message"]\n'),
            ("permission group 'Old' (%s)" % old, 'name: "Old"\npermissions: ["ban_member"]\n', ""),
            ("topic permission 'T1' (%s)" % topics["T1"], 'permissions: ["send_message"]\n',
             'permissions: ["send_message", "get_history_message"]\n'),
            ("topic permission 'T3' (%s)" % topics["T3"], "", 'permissions: ["manage_topic"]\n'),
            ("topic permission 'T2' (%s)" % topics["T2"], 'permissions: ["at_all"]\n', ""),
            ("member dan", "", 'member_account: "dan"\n'), ("member eve", "", 'member_account: "eve"\n'),
            ("member cat", 'member_account: "cat"\n', "")])
        assert sorted((change["kind"], change["action"], change["name"]) for change in result["changes"]) == sorted([
            ("permission group", "created", "Viewers"), ("permission group", "modified", "Editors"),
            ("permission group", "deleted", "Old"), ("topic permission", "created", "T3"),
            ("topic permission", "modified", "T1"), ("topic permission", "deleted", "T2"),
            ("member", "created", "dan"), ("member", "created", "eve"), ("member", "deleted", "cat")])
        assert [(group["name"], group["permissions"], group["permission_value"])
                for group in result["permission_groups"]] == [
            ("Editors", ["send_message", "at_all"], 192), ("Viewers", ["get_history_message"], 256)]
    assert "+++ after: member dan" in play.stdout and "--- before: permission group 'Old' (%s)" % old in play.stdout
    assert not again["changed"] and again["diff"] == [] and again["changes"] == []
    assert by_name(emulator.rest, group_id) == {"Editors": [editors], "Viewers": [viewers]}
    assert permission_group(emulator.rest, group_id, old) is None
    assert permission_group(emulator.rest, group_id, editors)[1] == 192
    assert topic_permissions(emulator.rest, group_id, editors) == {topics["T1"]: 24, topics["T3"]: 1}
    assert member_list(emulator.rest, group_id, editors) == ["ann", "ben", "dan"]
    assert member_list(emulator.rest, group_id, viewers) == ["eve"]
    calls = emulator.calls()
    assert calls[GROUP + "destroy_permission_group"] == 1 and calls[GROUP + "create_permission_group"] == 1


@pytest.mark.once
def test_purge_permission_groups_in_tim_community(emulator):
    tag = unique()
    group_id, _topics = make_community(emulator.rest, "@TGS#_pgp" + tag, "PG purge " + tag)
    keep = make_permission_group(emulator.rest, group_id, "Keep", 1, "@PMG#_keep" + tag)
    doomed = [make_permission_group(emulator.rest, group_id, "Doomed %d" % number, 2) for number in range(3)]
    emptied, _topics = make_community(emulator.rest, "@TGS#_pge" + tag, "PG emptied " + tag)
    gone = make_permission_group(emulator.rest, emptied, "Gone", 0, "@PMG#_gone" + tag)
    communities = [dict(group_id=group_id, purge_permission_groups=True, permission_groups=[dict(name="Keep")]),
                   dict(group_id=emptied, purge_permission_groups=True, permission_groups=[])]
    emulator.reset_stats()
    play = run_play(check_apply_again(community_task, "purge", communities=communities), emulator, diff=True)
    deleted = sorted([("Doomed %d" % number, doomed[number], group_id) for number in range(3)]
                     + [("Gone", gone, emptied)])
    for name in ("check purge", "purge"):
        result = play.task(name)
        assert result["changed"] and result["created"] == result["modified"] == {}
        assert sorted((entry["name"], entry["id"], entry["parent_id"])
                      for entry in result["deleted"]["permission_groups"]) == deleted
        assert sorted(entry["before_header"] for entry in result["diff"]) == sorted(
            "permission group '%s' (%s)" % (entry[0], entry[1]) for entry in deleted)
    again = play.task("purge again")
    assert not again["changed"] and again["changes"] == []
    assert [group["permission_groups"] for group in again["communities"]] == [
        [dict(permission_group_id=keep, name="Keep", permissions=["manage_group_info"], permission_value=1,
              custom_string="", member_count=0)], []]
    assert dict((api, count) for api, count in emulator.calls().items() if writes_in({api: count})) == {
        GROUP + "destroy_permission_group": 2}  # one call per community
    assert by_name(emulator.rest, group_id) == {"Keep": [keep]} and by_name(emulator.rest, emptied) == {}


@pytest.mark.once
def test_absent_deletes_and_absent_on_a_missing_permission_group_changes_nothing(emulator):
    tag = unique()
    group_id, _topics = make_community(emulator.rest, "@TGS#_pga" + tag, "PG absent " + tag)
    custom = make_permission_group(emulator.rest, group_id, "Custom", 4, "@PMG#_c" + tag, members=["ann"])
    named = make_permission_group(emulator.rest, group_id, "Named", 8)
    listed = make_permission_group(emulator.rest, group_id, "Listed", 16)
    nested = make_permission_group(emulator.rest, group_id, "Nested", 32, members=["ann"])
    emulator.reset_stats()
    play = run_play([
        pg_task("check absent", check_mode=True, group_id=group_id, permission_group_id=custom, state="absent"),
        pg_task("absent by ID", group_id=group_id, permission_group_id=custom, state="absent"),
        pg_task("absent by name", group_id=group_id, name="Named", state="absent"),
        pg_task("absent in a list", group_id=group_id, permission_groups=[
            dict(name="Listed", state="absent"), dict(name="Never there", state="absent"),
            dict(name="Stays", permissions=[])]),
        community_task("absent, nested", group_id=group_id, permission_groups=[
            dict(name="Nested", state="absent"), dict(name="Named", state="absent"),
            dict(permission_group_id=custom, state="absent")]),
        pg_task("absent again by ID", group_id=group_id, permission_group_id=custom, state="absent"),
        pg_task("absent again by name", group_id=group_id, name="Named", state="absent"),
        pg_task("never existed", group_id=group_id, permission_group_id="@PMG#_never" + tag, state="absent"),
        community_task("absent again, nested", group_id=group_id, permission_groups=[
            dict(name="Nested", state="absent"), dict(permission_group_id=custom, state="absent")]),
    ], emulator, diff=True)
    check, by_id = play.task("check absent"), play.task("absent by ID")
    for result in (check, by_id):
        assert result["changed"] and result["deleted"] == dict(
            permission_groups=[dict(name="Custom", id=custom, parent_id=group_id)])
        assert result["diff"] == [dict(before_header="permission group 'Custom' (%s)" % custom,
                                       after_header="permission group 'Custom' (%s)" % custom,
                                       before='name: "Custom"\npermissions: ["manage_permission_group_info"]\n',
                                       after="")]
    assert by_id["permission_group"] == {} and by_id["changes"] == [dict(
        kind="permission group", action="deleted", name="Custom", id=custom, parent_id=group_id)]
    assert play.task("absent by name")["deleted"] == dict(permission_groups=[dict(name="Named", id=named,
                                                                                  parent_id=group_id)])
    in_list = play.task("absent in a list")
    assert in_list["deleted"] == dict(permission_groups=[dict(name="Listed", id=listed, parent_id=group_id)])
    assert [group["name"] for group in in_list["permission_groups"]] == ["Stays"]
    assert play.task("absent, nested")["deleted"] == dict(permission_groups=[dict(name="Nested", id=nested,
                                                                                  parent_id=group_id)])
    for name in ("absent again by ID", "absent again by name", "never existed", "absent again, nested"):
        result = play.task(name)
        assert not result["failed"] and not result["changed"] and result["deleted"] == {}, (name, result)
    # One destroy per permission group deleted, and the creation of "Stays": nothing for those already gone.
    assert dict((api, count) for api, count in emulator.calls().items() if writes_in({api: count})) == {
        GROUP + "destroy_permission_group": 4, GROUP + "create_permission_group": 1}
    assert sorted(by_name(emulator.rest, group_id)) == ["Stays"]


def test_unknown_permission_names_and_topics_are_refused_before_any_write(emulator):
    tag = unique()
    group_id, topics = make_community(emulator.rest, "@TGS#_pgu" + tag, "PG refuse " + tag, topics=[
        dict(TopicName="General"), dict(TopicName="Doomed"), dict(TopicName="Twin"), dict(TopicName="Twin")])
    twins = [make_permission_group(emulator.rest, group_id, "Twin", 0) for _twice in range(2)]
    other, _other_topics = make_community(emulator.rest, "@TGS#_pgo" + tag, "PG other " + tag,
                                          topics=[dict(TopicName="Elsewhere")])
    # Each task also declares a valid permission group, topic and member, which must not be written either.
    valid = dict(permission_group_id="@PMG#_fine" + tag, name="Fine", permissions=["at_all"], members=["ann"],
                 topic_permissions=[dict(topic_name="General", permissions=["send_message"])])
    emulator.reset_stats()
    play = run_play([
        pg_task("community permission", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Bad", permissions=["send_message", "fly", "swim"])]),
        pg_task("topic permission", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Bad", topic_permissions=[dict(topic_name="General", permissions=["teleport"])])]),
        pg_task("missing topic name", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Bad", topic_permissions=[dict(topic_name="Nowhere", permissions=["at_all"])])]),
        pg_task("topic of another community", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Bad", topic_permissions=[dict(topic_name="Elsewhere", permissions=["at_all"])])]),
        pg_task("two permission groups of the name", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Twin", permissions=["at_all"])]),
        pg_task("two topics of the name", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Bad", topic_permissions=[dict(topic_name="Twin", permissions=["at_all"])])]),
        pg_task("missing community", ignore_errors=True, group_id="@TGS#_pgmissing" + tag, **valid),
        community_task("nested, community permission", ignore_errors=True, communities=[
            dict(group_id="@TGS#_pgn" + tag, name="New " + tag, topics=[dict(topic_name="t")],
                 permission_groups=[valid]),
            dict(group_id=group_id, permission_groups=[dict(name="Bad", permissions=["rule_the_world"])])]),
        # Two communities with a permission group of the same name: the message says which community.
        community_task("nested list, missing topic", ignore_errors=True, communities=[
            dict(group_id=other, permission_groups=[dict(name="Helpers")]),
            dict(group_id=group_id, permission_groups=[dict(name="Helpers", topic_permissions=[
                dict(topic_name="Elsewhere", permissions=["at_all"])])])]),
        community_task("nested list, topic permission", ignore_errors=True, communities=[
            dict(group_id=other, permission_groups=[dict(name="Helpers")]),
            dict(group_id=group_id, permission_groups=[dict(name="Helpers", topic_permissions=[
                dict(topic_name="General", permissions=["fly"])])])]),
        community_task("nested, topic permission", ignore_errors=True, group_id=group_id, permission_groups=[
            valid, dict(name="Bad", topic_permissions=[dict(topic_id=topics["General"], permissions=["ban_member"])])]),
        community_task("nested, a topic this run deletes", ignore_errors=True, group_id=group_id,
                       topics=[dict(topic_name="General")], purge_topics=True,
                       permission_groups=[valid, dict(name="Bad", topic_permissions=[
                           dict(topic_name="Doomed", permissions=["at_all"])])]),
        community_task("nested, a topic of a new community", ignore_errors=True, group_id="@TGS#_pgn" + tag,
                       name="New " + tag, topics=[dict(topic_name="t")], permission_groups=[
                           dict(name="Bad", topic_permissions=[dict(topic_name="u", permissions=["at_all"])])]),
    ], emulator)
    community_names = ("manage_group_info, manage_group_member, manage_permission_group_info, "
                       "manage_permission_group_member, manage_topic_in_community, mute_member, send_message, "
                       "at_all, get_history_message, revoke_other_member_message, ban_member")
    topic_names = ("manage_topic, manage_topic_permission, mute_member, send_message, get_history_message, "
                   "revoke_other_member_message, at_all")
    expected = {
        "community permission": ["unknown community permissions fly, swim; the valid ones are " + community_names,
                                 "permission group 'Bad'"],
        "topic permission": ["unknown topic permission teleport; the valid ones are " + topic_names, "'General'"],
        "missing topic name": ["no topic of the community is named 'Nowhere'", "permission group 'Bad'"],
        "topic of another community": ["no topic of the community is named 'Elsewhere'"],
        "two permission groups of the name": ["2 existing permission groups are named 'Twin' (%s)" % ", ".join(twins),
                                              "give permission_group_id"],
        "two topics of the name": ["2 topics are named 'Twin': give topic_id"],
        "missing community": ["@TGS#_pgmissing" + tag, "does not exist"],
        "nested, community permission": ["unknown community permission rule_the_world; the valid ones are "
                                         + community_names, "communities[1]"],
        "nested list, missing topic": ["communities[1] community (id %s): permission_groups[0] permission group "
                                       "'Helpers': topic_permissions[0] topic permission 'Elsewhere': no topic of the "
                                       "community is named 'Elsewhere'" % group_id],
        "nested list, topic permission": ["communities[1] community (id %s): permission_groups[0] permission group "
                                          "'Helpers': topic_permissions[0] topic permission 'General': unknown topic "
                                          "permission fly" % group_id],
        # ban_member is a community permission, not a topic permission.
        "nested, topic permission": ["unknown topic permission ban_member; the valid ones are " + topic_names],
        "nested, a topic this run deletes": ["no topic of the community is named 'Doomed'"],
        "nested, a topic of a new community": ["no topic of the community is named 'u'"],
    }
    for name, parts in expected.items():
        result = play.task(name)
        assert result["failed"] and not result["changed"], (name, result)
        assert "nothing was changed" in result["msg"].lower(), result["msg"]
        for part in parts:
            assert part in result["msg"], (name, part, result["msg"])
    print("refusals: %s" % json.dumps(dict((name, play.task(name)["msg"]) for name in expected), indent=1))
    assert emulator.writes() == 0
    assert by_name(emulator.rest, group_id) == {"Twin": twins}
    assert Counter(topic["TopicName"] for topic in emulator.rest.topics(group_id)) == Counter(
        ["General", "Doomed", "Twin", "Twin"])
    assert by_name(emulator.rest, other) == {}


NESTED_RUN_TOPICS = ("Announcements", "Chat", "Help")


def nested_communities(tag, members=3):
    """Three communities, each with three topics (one of a custom ID) and two permission groups (one of a custom ID,
    one found by name), each permission group with two topic permissions (one naming its topic by ID) and members."""
    communities = []
    for number in range(3):
        group_id = "@TGS#_pgnest%s%d" % (tag, number)
        custom_topic = group_id + "@TOPIC#_announcements"
        communities.append(dict(
            group_id=group_id, name="Nest %s %d" % (tag, number),
            topics=[dict(topic_id=custom_topic, topic_name="Announcements"), dict(topic_name="Chat"),
                    dict(topic_name="Help")],
            permission_groups=[
                dict(permission_group_id="@PMG#_admins", name="Admins",
                     permissions=["manage_group_info", "manage_topic_in_community", "ban_member"],
                     topic_permissions=[dict(topic_id=custom_topic, permissions=["send_message", "at_all"]),
                                        dict(topic_name="Chat", permissions=["manage_topic", "mute_member"])],
                     members=["admin%d-%d" % (number, member) for member in range(members)]),
                dict(name="Helpers", permissions=["mute_member"],
                     topic_permissions=[dict(topic_name="Help", permissions=["send_message", "get_history_message"]),
                                        dict(topic_name="Chat", permissions=["send_message"])],
                     members=["helper%d-%d" % (number, member) for member in range(members)]),
            ]))
    return communities


def assert_each_once(rest, communities):
    """Each community holds each declared permission group, topic permission and member exactly once."""
    for community in communities:
        group_id = community["group_id"]
        names = topic_ids(rest, group_id)
        found = by_name(rest, group_id)
        assert sorted(found) == sorted(group["name"] for group in community["permission_groups"]), found
        assert all(len(ids) == 1 for ids in found.values()), found
        for declared in community["permission_groups"]:
            permission_group_id = found[declared["name"]][0]
            assert permission_group(rest, group_id, permission_group_id)[1] == community_value(*declared["permissions"])
            wanted = sorted((entry.get("topic_id") or names[entry["topic_name"]], topic_value(*entry["permissions"]))
                            for entry in declared["topic_permissions"])
            assert sorted(topic_permission_list(rest, group_id, permission_group_id)) == wanted
            assert Counter(member_list(rest, group_id, permission_group_id)) == Counter(declared["members"])


@pytest.mark.once
def test_nested_list_form_reports_the_calls_of_the_first_and_second_run(emulator):
    tag = unique()
    communities = nested_communities(tag)
    play, during = run_counted(emulator, check_apply_again(community_task, "apply", communities=communities),
                               diff=True)
    check, first, second = play.task("check apply"), play.task("apply"), play.task("apply again")
    tables = dict((run, counted["calls"]) for run, counted in during.items())
    committed = dict((run, counted["writes"]) for run, counted in during.items())
    for run in ("check apply", "apply", "apply again"):
        print("nested list form, %s run: %d calls" % (run, sum(tables[run].values())))
        for api, count in sorted(tables[run].items()):
            print("  %-50s %d" % (api, count))
    counts = dict(communities=3, topics=9, permission_groups=6, topic_permissions=12, members=18)
    for result in (check, first):
        assert result["changed"] and result["modified"] == result["deleted"] == {}
        assert dict((kind, len(entries)) for kind, entries in result["created"].items()) == counts
        assert len(result["diff"]) == len(result["changes"]) == sum(counts.values())
    assert not second["changed"] and second["changes"] == [] and second["diff"] == []
    # Only reads in check mode: the communities once (none exists yet, so nothing below them is read).
    assert tables["check apply"] == {GROUP + "get_group_info": 1}
    # Each community, topic and permission group created once; each permission group's topic permissions in one
    # call and its members in one call.
    assert committed["apply"] == {GROUP + "create_group": 3, TOPIC + "create_topic": 9,
                                  GROUP + "create_permission_group": 6, GROUP + "add_topic_permission_group": 6,
                                  GROUP + "add_permission_group_member": 6}
    assert tables["apply"] == dict(committed["apply"], **{GROUP + "get_group_info": 1})
    # The rerun reads: the communities in one call, then per community its topics and its permission groups, then
    # per permission group its topic permissions and its members (one page each).
    assert tables["apply again"] == {
        GROUP + "get_group_info": 1, TOPIC + "get_topic": 3, GROUP + "get_permission_group": 3,
        GROUP + "get_topic_permission_group": 6, GROUP + "get_permission_group_member_list": 6}
    assert writes_in(tables["check apply"]) == writes_in(tables["apply again"]) == 0
    assert_each_once(emulator.rest, communities)
    # Custom permission group IDs are per community: the three communities each have their own "@PMG#_admins".
    assert [dict((group["name"], group["permission_group_id"]) for group in community["permission_groups"])["Admins"]
            for community in second["communities"]] == ["@PMG#_admins"] * 3


@pytest.mark.once
def test_info_output_copies_permission_groups_into_another_app_and_the_rerun_changes_nothing(emulator, second_app):
    tag = unique()
    rest_a = emulator.rest
    custom, custom_topics = make_community(rest_a, "@TGS#_pgrt" + tag, "PG copy A " + tag, topics=[
        dict(TopicName="Rules", TopicId="@TGS#_pgrt%s@TOPIC#_rules" % tag), dict(TopicName="Lobby")])
    assigned, assigned_topics = make_community(rest_a, None, "PG copy B " + tag, topics=[dict(TopicName="Chat")])
    mods = make_permission_group(rest_a, custom, "Moderators", community_value("mute_member", "ban_member"),
                                 "@PMG#_mods", custom_string="the mods",
                                 topics={custom_topics["Rules"]: 8, custom_topics["Lobby"]: 4 | 32},
                                 members=["ann", "ben"])
    readers = make_permission_group(rest_a, custom, "Readers", community_value("get_history_message"),
                                    topics={custom_topics["Lobby"]: 16}, members=["cat"])
    make_permission_group(rest_a, assigned, "Team", 0, topics={assigned_topics["Chat"]: 127})
    assert readers.startswith(ASSIGNED_PMG) and custom_topics["Lobby"].startswith(custom + ASSIGNED_TOPIC)
    rest_b = second_app.rest
    app_b = second_app.connection
    emulator.reset_stats()
    play = run_play([
        info_task("read app A", "source", group_ids=[custom, assigned], topics=True, permission_groups=True),
        dict(community_task("check copy", communities="{{ source.communities }}", **app_b), check_mode=True),
        community_task("copy into app B", communities="{{ source.communities }}", **app_b),
        community_task("copy again", communities="{{ source.communities }}", **app_b),
        info_task("read app B", "copied", topics=True, permission_groups=True, **app_b),
        community_task("declare it back into app A", communities="{{ source.communities }}"),
    ], emulator)
    assert play.rc == 0, play.stdout[-3000:]
    calls_b = second_app.stats()["calls"]
    copied_b = dict((community["name"], community["group_id"]) for community in play.task(
        "read app B")["communities"])
    stored_b = dict((name, dict((group["PermissionGroupName"], group) for group in permission_groups(
        rest_b, group_id))) for name, group_id in copied_b.items())
    topics_b = dict((name, topic_ids(rest_b, group_id)) for name, group_id in copied_b.items())
    tp_b = dict((name, dict((pmg_name, topic_permissions(rest_b, copied_b[name], group["PermissionGroupId"]))
                            for pmg_name, group in groups.items())) for name, groups in stored_b.items())

    source = play.task("read app A")["communities"]
    by_community = dict((community["name"], community["permission_groups"]) for community in source)
    assert [(group["name"], group["permission_group_id"], group["permissions"], group["permission_value"],
             group["member_count"], group["members"], [(entry["topic_name"], entry["permission_value"])
                                                       for entry in group["topic_permissions"]])
            for group in by_community["PG copy A " + tag]] == [
        ("Moderators", mods, ["mute_member", "ban_member"], 1056, 2, ["ann", "ben"], [("Rules", 8), ("Lobby", 36)]),
        ("Readers", readers, ["get_history_message"], 256, 1, ["cat"], [("Lobby", 16)])]
    check, copy, again = play.task("check copy"), play.task("copy into app B"), play.task("copy again")
    counts = dict(communities=2, topics=3, permission_groups=3, topic_permissions=4, members=3)
    for result in (check, copy):
        assert result["changed"], result.get("msg")
        assert dict((kind, len(entries)) for kind, entries in result["created"].items()) == counts
    assert not again["changed"] and again["changes"] == []
    back = play.task("declare it back into app A")
    assert not back["changed"] and back["changes"] == []

    # In app B: the custom IDs kept, the server's IDs new, and every topic permission on the topic of the same
    # name, whose ID is new.
    a_custom, a_assigned = copied_b["PG copy A " + tag], copied_b["PG copy B " + tag]
    assert a_custom == custom and a_assigned.startswith("@TGS#_@TGS#") and a_assigned != assigned
    assert stored_b["PG copy A " + tag]["Moderators"]["PermissionGroupId"] == mods
    new_readers = stored_b["PG copy A " + tag]["Readers"]["PermissionGroupId"]
    assert new_readers.startswith(ASSIGNED_PMG)
    assert (stored_b["PG copy A " + tag]["Moderators"]["Permission"],
            stored_b["PG copy A " + tag]["Moderators"]["CustomString"]) == (1056, "the mods")
    lobby_b, chat_b = topics_b["PG copy A " + tag]["Lobby"], topics_b["PG copy B " + tag]["Chat"]
    assert lobby_b != custom_topics["Lobby"] and chat_b != assigned_topics["Chat"]
    assert tp_b == {
        "PG copy A " + tag: {"Moderators": {custom_topics["Rules"]: 8, lobby_b: 36}, "Readers": {lobby_b: 16}},
        "PG copy B " + tag: {"Team": {chat_b: 127}}}
    copied = dict((community["name"], community["permission_groups"]) for community in play.task(
        "read app B")["communities"])
    strip = ("permission_group_id", "topic_permissions")
    for name, groups in by_community.items():
        assert [dict((key, value) for key, value in group.items() if key not in strip) for group in copied[name]] == [
            dict((key, value) for key, value in group.items() if key not in strip) for group in groups]
        assert [[(entry["topic_name"], entry["permissions"]) for entry in group["topic_permissions"]]
                for group in copied[name]] == [[(entry["topic_name"], entry["permissions"])
                                                for entry in group["topic_permissions"]] for group in groups]
    assert dict((api, count) for api, count in calls_b.items() if writes_in({api: count})) == {
        GROUP + "create_group": 2, TOPIC + "create_topic": 3, GROUP + "create_permission_group": 3,
        GROUP + "add_topic_permission_group": 3, GROUP + "add_permission_group_member": 2}
    assert emulator.writes() == 0  # app A was only read


@pytest.mark.once
def test_info_reads_the_permission_groups_of_a_community_without_topics(emulator):
    """A community created without topics may have permission groups (members, community permissions); it has no
    topic permissions to read, and reading the app does not fail on it."""
    tag = unique()
    plain = emulator.rest.create_community(group_id="@TGS#_pgplain" + tag, name="PG plain " + tag, support_topic=0)
    staff = make_permission_group(emulator.rest, plain, "Staff", community_value("manage_group_member"),
                                  "@PMG#_staff", members=["ann"])
    group_id, topics = make_community(emulator.rest, "@TGS#_pgtopics" + tag, "PG topics " + tag,
                                      topics=[dict(TopicName="A")])
    make_permission_group(emulator.rest, group_id, "Readers", 0, "@PMG#_readers", topics={topics["A"]: 16})
    emulator.reset_stats()
    play = run_play([info_task("read", "found", group_ids=[plain, group_id], permission_groups=True)], emulator)
    found = play.task("read")
    assert not found["failed"], found["msg"]
    assert dict((community["name"], community["permission_groups"]) for community in found["communities"]) == {
        "PG plain " + tag: [dict(permission_group_id=staff, name="Staff", permissions=["manage_group_member"],
                                 permission_value=2, custom_string="", member_count=1, topic_permissions=[],
                                 members=["ann"])],
        "PG topics " + tag: [dict(permission_group_id="@PMG#_readers", name="Readers", permissions=[],
                                  permission_value=0, custom_string="", member_count=0, members=[],
                                  topic_permissions=[dict(topic_id=topics["A"], topic_name="A",
                                                          permissions=["get_history_message"], permission_value=16)])]}
    assert any(plain in warning and "without topics" in warning for warning in found["warnings"])
    assert emulator.writes() == 0


@pytest.mark.once
def test_fault_run_ends_with_each_permission_group_topic_permission_and_member_once(emulator):
    tag = unique()
    communities = nested_communities(tag, members=12)
    # The first community exists already, with its permission groups drifted: the run creates, modifies and deletes
    # under faults (permission groups, topic permissions and members purged).
    first_community = communities[0]
    group_id, topics = make_community(emulator.rest, first_community["group_id"], first_community["name"], topics=[
        dict(TopicName="Announcements", TopicId=first_community["topics"][0]["topic_id"]), dict(TopicName="Chat")])
    helpers = make_permission_group(emulator.rest, group_id, "Helpers", community_value("ban_member"),
                                    topics={topics["Chat"]: 127, topics["Announcements"]: 1},
                                    members=first_community["permission_groups"][1]["members"][:6] + ["stranger"])
    make_permission_group(emulator.rest, group_id, "Extra", 3, members=["stranger"])
    first_community["purge_permission_groups"] = True
    for declared in first_community["permission_groups"]:
        declared.update(purge_topic_permissions=True, purge_members=True)
    faulty_run_then_rerun(emulator, communities, seed=16)
    assert_each_once(emulator.rest, communities)
    assert by_name(emulator.rest, group_id)["Helpers"] == [helpers]  # found by name and changed, not made again
    emulator.reset_stats()
    final = run_play([community_task("converged", communities=communities)], emulator)
    assert not final.task("converged")["changed"] and emulator.writes() == 0


def test_ansible_doc_renders_tim_permission_group():
    process = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json",
                              "tim.chat.tim_permission_group"], capture_output=True, text=True, timeout=120,
                             check=False)
    assert process.returncode == 0 and "ERROR" not in process.stderr, process.stderr
    doc = json.loads(process.stdout)["tim.chat.tim_permission_group"]
    assert doc["doc"]["module"] == "tim_permission_group" and doc["examples"] and doc["return"]
    options = doc["doc"]["options"]
    assert {"group_id", "permission_group_id", "name", "permissions", "topic_permissions", "members",
            "purge_topic_permissions", "purge_members", "permission_groups", "purge", "state"} <= set(options)
    assert "base_url" in options  # the connection fragment
    assert "at_all" in " ".join(options["permissions"]["description"])
    text = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"),
                           "tim.chat.tim_permission_group"], capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", PAGER="cat"))
    assert text.returncode == 0 and "permission_groups" in text.stdout and "ERROR" not in text.stderr, text.stderr

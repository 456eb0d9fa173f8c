# -*- coding: utf-8 -*-
"""Integration tests of tim.chat.tim_topic_import: real ansible-playbook runs against the emulator."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import json

import yaml

from tests.integration.conftest import module_task, run_play

IMPORT_APIS = ("group_open_http_svc/import_topic", "million_group_open_http_svc/import_topic")
SERVER_ASSIGNED = "@TOPIC#_@TOPIC#"


def import_task(name, register=None, **options):
    return module_task("tim.chat.tim_topic_import", name, register=register or name.replace(" ", "_"), **options)


def info_task(name, register, **options):
    return module_task("tim.chat.tim_topic_info", name, register=register, **options)


def imports(calls):
    return sum(calls.get(api, 0) for api in IMPORT_APIS)


def held(emulator, group):
    return dict((topic["TopicName"], topic) for topic in emulator.rest.topics(group))


def test_import_list_keeps_create_time_fires_no_callback_and_reruns_nothing(emulator, webhook):
    group = emulator.community()
    emulator.configure(callback_url=webhook.url, callback_token="hook-token")
    emulator.reset_stats()
    topics = [
        dict(topic_id=group + "@TOPIC#_rules", topic_name="Rules", create_time=1500000000, notification="Read me",
             introduction="The rules", face_url="https://example.com/r.png", custom_string="v1",
             from_account="administrator"),
        dict(topic_name="Lobby", create_time=1600000000),
        dict(topic_name="Newest"),
    ]
    play = run_play([
        import_task("import", register="imported", group_id=group, topics=topics),  # ansible-core 2.16: no keyword
        import_task("rerun", group_id=group, topics=topics),
        info_task("read back", "read", group_id=group),
        {"name": "create with tim_topic", "tim.chat.tim_topic": {"group_id": group, "topic_name": "Created"}},
    ], emulator)
    assert play.rc == 0, play.stdout[-3000:]
    calls = emulator.calls()
    emulator.process.callbacks(flush=True)
    received = webhook.received()

    first = play.task("import")
    assert first["changed"] is True
    assert first["skipped_topics"] == []
    by_name = dict((item["topic_name"], item) for item in first["imported"])
    assert sorted(by_name) == ["Lobby", "Newest", "Rules"]
    assert by_name["Rules"]["source_id"] == by_name["Rules"]["topic_id"] == group + "@TOPIC#_rules"
    assert by_name["Lobby"]["source_id"] is None
    assert by_name["Lobby"]["topic_id"].startswith(group + SERVER_ASSIGNED)

    rerun = play.task("rerun")
    assert play.status("rerun") == "ok"  # not reported as a skipped task
    assert rerun["changed"] is False
    assert rerun["imported"] == []
    skipped = dict((item["topic_name"], item) for item in rerun["skipped_topics"])
    assert sorted(skipped) == ["Lobby", "Newest", "Rules"]
    for name, item in skipped.items():
        assert item["topic_id"] == by_name[name]["topic_id"]
    assert "ID" in skipped["Rules"]["reason"] and "name" in skipped["Lobby"]["reason"]

    read = dict((topic["topic_name"], topic) for topic in play.task("read back")["topics"])
    assert read["Rules"]["create_time"] == 1500000000
    assert read["Lobby"]["create_time"] == 1600000000
    assert read["Newest"]["create_time"] > 1600000000  # no create_time given: the server's clock
    assert (read["Rules"]["notification"], read["Rules"]["introduction"], read["Rules"]["face_url"],
            read["Rules"]["custom_string"]) == ("Read me", "The rules", "https://example.com/r.png", "v1")

    # Three imports, all in the first run; the create is the only other write.
    assert imports(calls) == 3
    assert calls.get("million_group_open_http_svc/create_topic") == 1
    assert emulator.writes() == 4

    # The webhook is wired (tim_topic's create reached it) and saw nothing of the imports.
    commands = [(entry["query"].get("CallbackCommand"), entry["body"].get("Name")) for entry in received]
    assert ("Group.CallbackBeforeCreateTopic", "Created") in commands
    assert ("Group.CallbackAfterCreateTopic", "Created") in commands
    assert all(name == "Created" for _command, name in commands), commands


@pytest.mark.once
def test_import_from_json_and_yaml_files(emulator, tmp_path):
    source = emulator.community()
    emulator.rest.create_topic(source, "General", TopicId=source + "@TOPIC#_general", Notification="Hi")
    emulator.rest.create_topic(source, "Help", Introduction="Ask")
    targets = dict((kind, emulator.community()) for kind in ("json", "yaml", "saved"))
    json_src = tmp_path / "topics.json"
    json_src.write_text(json.dumps([dict(topic_id="@TGS#_@TGS#cOTHERGROUP@TOPIC#_one", topic_name="One",
                                         create_time=1500000000),
                                    dict(topic_name="Two", notification="Second")]))
    yaml_src = tmp_path / "topics.yml"
    yaml_src.write_text(u"# exported by hand\n- topic_name: Três\n  create_time: 1550000000\n"
                        u"- topic_name: Quatro\n  custom_string: '{\"a\": 1}'\n")
    saved = str(tmp_path / "info.yml")
    emulator.reset_stats()

    runs = [
        import_task("json", group_id=targets["json"], src=str(json_src)),
        import_task("yaml", group_id=targets["yaml"], src=str(yaml_src)),
        import_task("saved", group_id=targets["saved"], src=saved),
    ]
    play = run_play([info_task("export", "exported", group_id=source),
                     {"name": "save the registered result",
                      "ansible.builtin.copy": {"content": "{{ exported | to_nice_yaml }}", "dest": saved,
                                               "mode": "0600"}}]
                    + runs + [dict(task, name=task["name"] + " again", register=task["register"] + "_again")
                              for task in runs], emulator)
    assert play.rc == 0, play.stdout[-3000:]
    calls = emulator.calls()
    assert isinstance(yaml.safe_load(open(saved)), dict)  # the file really is the whole registered result

    json_result = play.task("json")
    assert json_result["changed"] is True
    from_json = dict((item["topic_name"], item) for item in json_result["imported"])
    assert (from_json["One"]["source_id"], from_json["One"]["topic_id"]) == (
        "@TGS#_@TGS#cOTHERGROUP@TOPIC#_one", targets["json"] + "@TOPIC#_one")
    assert from_json["Two"]["source_id"] is None
    in_json = held(emulator, targets["json"])
    assert sorted(in_json) == ["One", "Two"]
    assert in_json["One"]["TopicId"] == targets["json"] + "@TOPIC#_one"
    assert in_json["One"]["CreateTime"] == 1500000000
    assert in_json["Two"]["Notification"] == "Second"

    assert play.task("yaml")["changed"] is True
    in_yaml = held(emulator, targets["yaml"])
    assert sorted(in_yaml) == ["Quatro", u"Três"]
    assert in_yaml[u"Três"]["CreateTime"] == 1550000000
    assert in_yaml["Quatro"]["CustomString"] == '{"a": 1}'

    assert play.task("saved")["changed"] is True
    in_saved = held(emulator, targets["saved"])
    original = held(emulator, source)
    assert sorted(in_saved) == ["General", "Help"]
    assert in_saved["General"]["TopicId"] == targets["saved"] + "@TOPIC#_general"
    for name in ("General", "Help"):
        for field in ("Notification", "Introduction", "CreateTime"):
            assert in_saved[name][field] == original[name][field]

    for task in runs:
        again = play.task(task["name"] + " again")
        assert again["changed"] is False and again["imported"] == [], task["name"]
        assert len(again["skipped_topics"]) == 2
    # Six imports, all from the first runs.
    assert imports(calls) == 6
    assert emulator.writes() == 6


@pytest.mark.once
def test_copy_a_community_to_another_app(emulator, second_app):
    source = emulator.community()
    rest_a = emulator.rest
    ids = dict(
        general=rest_a.create_topic(source, "General", TopicId=source + "@TOPIC#_general", Notification="Be nice",
                                    Introduction="Talk", FaceUrl="https://example.com/g.png", CustomString="x"),
        archive=rest_a.import_topic(source, "Archive", TopicId=source + "@TOPIC#_archive", CreateTime=1400000000),
        help=rest_a.create_topic(source, "Help", Notification="Ask away"),
        announcements=rest_a.import_topic(source, "Announcements", CreateTime=1450000000),
    )
    rest_a.modify_topic(source, ids["announcements"], MuteAllMember="On")
    before = held(emulator, source)
    rest_b = second_app.rest
    target = rest_b.create_community(name="copy")
    second_app.reset_stats()
    emulator.reset_stats()
    app_b = second_app.connection
    play = run_play([
        info_task("export from app A", "exported", group_id=source),
        import_task("import into app B", group_id=target, topics="{{ exported.topics }}", **app_b),
        import_task("import into app B again", group_id=target, topics="{{ exported.topics }}", **app_b),
        info_task("read app B", "copied", group_id=target, **app_b),
    ], emulator)
    assert play.rc == 0, play.stdout[-3000:]
    calls_b = second_app.stats()["calls"]
    state_b = second_app.state()

    imported = dict((item["topic_name"], item) for item in play.task("import into app B")["imported"])
    assert sorted(imported) == ["Announcements", "Archive", "General", "Help"]
    # Custom ids are rebased onto the new group, custom part kept.
    assert (imported["General"]["source_id"], imported["General"]["topic_id"]) == (
        ids["general"], target + "@TOPIC#_general")
    assert (imported["Archive"]["source_id"], imported["Archive"]["topic_id"]) == (
        ids["archive"], target + "@TOPIC#_archive")
    # Server-assigned ids cannot be chosen: the result maps old -> new.
    for name in ("Help", "Announcements"):
        assert imported[name]["source_id"] == ids[name.lower()]
        assert imported[name]["topic_id"].startswith(target + SERVER_ASSIGNED)
    assert play.task("import into app B")["skipped_topics"] == []

    again = play.task("import into app B again")
    assert again["changed"] is False and again["imported"] == []
    assert sorted((item["source_id"], item["topic_id"]) for item in again["skipped_topics"]) == sorted(
        (item["source_id"], item["topic_id"]) for item in imported.values())

    copied = dict((topic["topic_name"], topic) for topic in play.task("read app B")["topics"])
    assert sorted(copied) == sorted(before)
    for name, topic in copied.items():
        original = before[name]
        assert topic["topic_id"] == imported[name]["topic_id"]
        assert topic["group_id"] == target
        assert (topic["notification"], topic["introduction"], topic["face_url"], topic["custom_string"],
                topic["create_time"]) == (original["Notification"], original["Introduction"], original["FaceUrl"],
                                          original["CustomString"], original["CreateTime"]), name
        assert topic["mute_all_member"] is (name == "Announcements")
    assert copied["Archive"]["create_time"] == 1400000000

    # App B holds exactly the copy; app A was only read.
    groups_b = dict((group["GroupId"], group) for group in state_b["groups"])
    assert sorted(topic["TopicName"] for topic in groups_b[target]["Topics"]) == sorted(before)
    assert imports(calls_b) == 4
    assert calls_b.get("million_group_open_http_svc/modify_topic") == 1  # the mute
    assert "million_group_open_http_svc/create_topic" not in calls_b
    assert emulator.writes() == 0
    assert held(emulator, source) == before


def test_check_mode_and_on_existing_fail_import_nothing(emulator):
    group = emulator.community()
    existing = emulator.rest.create_topic(group, "Existing", TopicId=group + "@TOPIC#_existing")
    emulator.reset_stats()
    topics = [dict(topic_id="@TGS#_@TGS#cSOURCE@TOPIC#_existing", topic_name="Existing"),
              dict(topic_id="@TGS#_@TGS#cSOURCE@TOPIC#_new", topic_name="New"),
              dict(topic_name="Fresh")]
    play = run_play([
        import_task("check", check_mode=True, group_id=group, topics=topics),
        import_task("fail on existing", ignore_errors=True, group_id=group, topics=topics, on_existing="fail"),
        import_task("fail on existing by name", ignore_errors=True, group_id=group, on_existing="fail",
                    topics=[dict(topic_name="Fresh"), dict(topic_name="Existing")]),
    ], emulator)

    check = play.task("check")
    assert play.status("check") == "ok"
    assert check["changed"] is True
    assert sorted((item["topic_name"], item["topic_id"]) for item in check["imported"]) == [
        ("Fresh", None), ("New", group + "@TOPIC#_new")]
    assert [(item["topic_name"], item["topic_id"]) for item in check["skipped_topics"]] == [("Existing", existing)]

    for name in ("fail on existing", "fail on existing by name"):
        failed = play.task(name)
        assert play.status(name) == "failed"
        assert failed["changed"] is False
        assert "'Existing'" in failed["msg"] and existing in failed["msg"] and "on_existing" in failed["msg"]

    assert emulator.writes() == 0
    assert sorted(held(emulator, group)) == ["Existing"]


def test_invalid_input_fails_before_any_write(emulator, tmp_path):
    group = emulator.community()
    for name in ("First", "Second"):
        emulator.rest.create_topic(group, name)
    empty = emulator.community()
    emulator.reset_stats()

    unknown_key = tmp_path / "unknown.json"
    unknown_key.write_text(json.dumps([{"topic_name": "Fine"}, {"topic_name": "Odd", "colour": "red"}]))
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('[{"topic_name": "Fine"}, {"topic_name": ')
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("- topic_name: Fine\n  notification: [unclosed\n- topic_name: Other\n")
    bad_type = tmp_path / "bad_type.yml"
    bad_type.write_text("- topic_name: Fine\n- topic_name: Late\n  create_time: yesterday\n")
    big = tmp_path / "big.json"
    with open(str(big), "w") as handle:
        handle.write("[" + " " * (10 * 1024 * 1024) + "]")
    too_many = tmp_path / "many.json"
    too_many.write_text(json.dumps([{"topic_name": "Topic %03d" % number} for number in range(199)]))

    play = run_play([
        import_task("future create_time", ignore_errors=True, group_id=group,
                    topics=[dict(topic_name="Fine"), dict(topic_name="Future", create_time=4102444800)]),
        import_task("negative create_time", ignore_errors=True, group_id=group,
                    topics=[dict(topic_name="Past", create_time=-1)]),
        import_task("name too long", ignore_errors=True, group_id=group,
                    topics=[dict(topic_name="Fine"), dict(topic_name=u"é" * 16)]),
        import_task("unknown key", ignore_errors=True, group_id=group, src=str(unknown_key)),
        import_task("malformed json", ignore_errors=True, group_id=group, src=str(bad_json)),
        import_task("malformed yaml", ignore_errors=True, group_id=group, src=str(bad_yaml)),
        import_task("wrong type", ignore_errors=True, group_id=group, src=str(bad_type)),
        import_task("too big", ignore_errors=True, group_id=group, src=str(big)),
        import_task("no such file", ignore_errors=True, group_id=group, src=str(tmp_path / "nope.json")),
        import_task("over 200 with the existing", ignore_errors=True, group_id=group, src=str(too_many)),
        import_task("over 200", ignore_errors=True, group_id=empty,
                    topics=[dict(topic_name="T%d" % number) for number in range(201)]),
        import_task("not a community", ignore_errors=True, group_id="@TGS#aPLAIN", topics=[dict(topic_name="A")]),
    ], emulator)

    for entry in play.results:
        assert entry["status"] == "failed", entry["task"]
        assert entry["result"]["changed"] is False, entry["task"]

    def msg(name):
        return play.task(name)["msg"]

    assert "topics[1] topic 'Future'" in msg("future create_time") and "create_time" in msg("future create_time")
    assert "topics[0] topic 'Past'" in msg("negative create_time")
    assert u"topics[1] topic '%s'" % (u"é" * 16) in msg("name too long") and "30" in msg("name too long")
    assert "topics[1]" in msg("unknown key") and "'colour'" in msg("unknown key")
    assert str(unknown_key) in msg("unknown key")
    assert str(bad_json) in msg("malformed json") and "JSON" in msg("malformed json")
    assert str(bad_yaml) in msg("malformed yaml") and "YAML" in msg("malformed yaml")
    assert "topics[1]" in msg("wrong type") and "create_time" in msg("wrong type")
    assert str(big) in msg("too big") and "10485760" in msg("too big")
    assert str(tmp_path / "nope.json") in msg("no such file")
    assert "201" in msg("over 200 with the existing") and "200" in msg("over 200 with the existing")
    assert "2 exist" in msg("over 200 with the existing")
    assert "201" in msg("over 200") and "0 exist" in msg("over 200")
    assert "@TGS#_" in msg("not a community")

    assert emulator.writes() == 0
    assert sorted(held(emulator, group)) == ["First", "Second"]
    assert held(emulator, empty) == {}

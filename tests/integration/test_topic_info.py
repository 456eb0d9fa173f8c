# -*- coding: utf-8 -*-
"""Integration tests of tim.chat.tim_topic_info: real ansible-playbook runs against the emulator."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from tests.integration.conftest import module_task, run_play

TOPIC_KEYS = {"topic_id", "group_id", "topic_name", "face_url", "notification", "introduction", "custom_string",
              "create_time", "last_msg_time", "next_msg_seq", "mute_all_member", "self_info"}


def info_task(name, register=None, **options):
    return module_task("tim.chat.tim_topic_info", name, register=register or name.replace(" ", "_"), **options)


def make_community(emulator):
    """A community with a custom-id topic, server-assigned ones, a muted one and one in another community."""
    group = emulator.community()
    ids = dict(
        general=emulator.rest.create_topic(group, "General", TopicId=group + "@TOPIC#_general",
                                           Notification="Be nice", Introduction="Talk here",
                                           FaceUrl="https://example.com/g.png", CustomString='{"k": 1}'),
        help=emulator.rest.create_topic(group, "Help", Notification="Ask away"),
        announcements=emulator.rest.create_topic(group, "Announcements"),
    )
    emulator.rest.modify_topic(group, ids["announcements"], MuteAllMember="On")
    return group, ids


def test_reads_all_by_ids_by_names_with_missing_and_fields(emulator):
    group, ids = make_community(emulator)
    other = emulator.community()
    foreign = emulator.rest.create_topic(other, "Elsewhere")
    empty = emulator.community()
    gone = group + "@TOPIC#_gone"
    emulator.reset_stats()

    play = run_play([
        info_task("all", group_id=group),
        info_task("by ids", group_id=group, topic_ids=[ids["help"], gone, ids["general"], foreign]),
        info_task("by names", group_id=group, topic_names=["Help", "Nope", "General"]),
        info_task("by ids and names", group_id=group, topic_ids=[ids["announcements"], gone],
                  topic_names=["Help", "Nope"]),
        info_task("same id twice", group_id=group, topic_ids=[ids["help"], ids["help"]]),
        info_task("fields", group_id=group, fields=["notification", "mute_all_member"]),
        info_task("fields and names", group_id=group, topic_names=["Help"], fields=["notification"]),
        info_task("empty community", group_id=empty),
        info_task("empty community by name", group_id=empty, topic_names=["General"]),
        info_task("check mode", group_id=group, check_mode=True),
    ], emulator)
    assert play.rc == 0, play.stdout[-3000:]
    calls = emulator.calls()

    held = dict((topic["TopicId"], topic) for topic in emulator.rest.topics(group))
    everything = play.task("all")
    assert [topic["topic_name"] for topic in everything["topics"]] == ["Announcements", "General", "Help"]
    assert everything["missing"] == []
    for topic in everything["topics"]:
        assert set(topic) == TOPIC_KEYS
        api = held[topic["topic_id"]]
        assert topic["group_id"] == group
        assert (topic["topic_name"], topic["notification"], topic["introduction"], topic["face_url"],
                topic["custom_string"], topic["create_time"], topic["last_msg_time"], topic["next_msg_seq"]) == (
            api["TopicName"], api["Notification"], api["Introduction"], api["FaceUrl"], api["CustomString"],
            api["CreateTime"], api["LastMsgTime"], api["NextMsgSeq"])
        assert topic["mute_all_member"] is (topic["topic_name"] == "Announcements")
        assert set(topic["self_info"]) == {"shut_up_time", "msg_seq", "msg_flag"}
    general = [topic for topic in everything["topics"] if topic["topic_name"] == "General"][0]
    assert general["topic_id"] == group + "@TOPIC#_general"
    assert general["notification"] == "Be nice"
    assert general["custom_string"] == '{"k": 1}'

    by_ids = play.task("by ids")
    assert [topic["topic_id"] for topic in by_ids["topics"]] == [ids["general"], ids["help"]]
    assert by_ids["missing"] == [gone, foreign]

    by_names = play.task("by names")
    assert [topic["topic_name"] for topic in by_names["topics"]] == ["General", "Help"]
    assert by_names["missing"] == ["Nope"]

    mixed = play.task("by ids and names")
    assert [topic["topic_name"] for topic in mixed["topics"]] == ["Announcements", "Help"]
    assert sorted(mixed["missing"]) == sorted([gone, "Nope"])

    twice = play.task("same id twice")
    assert [topic["topic_id"] for topic in twice["topics"]] == [ids["help"]]
    assert twice["missing"] == []

    filtered = play.task("fields")
    assert len(filtered["topics"]) == 3
    for topic in filtered["topics"]:
        assert set(topic) - {"self_info"} == {"topic_id", "group_id", "notification", "mute_all_member"}
    by_id = dict((topic["topic_id"], topic) for topic in filtered["topics"])
    assert by_id[ids["help"]]["notification"] == "Ask away"
    assert by_id[ids["announcements"]]["mute_all_member"] is True
    assert by_id[ids["general"]]["mute_all_member"] is False

    # Names are matched even when the filter leaves topic_name out of the answer.
    named = play.task("fields and names")
    assert named["missing"] == []
    assert [(topic["topic_id"], topic["notification"]) for topic in named["topics"]] == [(ids["help"], "Ask away")]
    assert "topic_name" not in named["topics"][0]

    assert play.task("empty community")["topics"] == []
    assert play.task("empty community")["missing"] == []
    assert play.task("empty community by name")["topics"] == []
    assert play.task("empty community by name")["missing"] == ["General"]

    assert play.task("check mode")["topics"] == everything["topics"]

    for entry in play.results:
        assert entry["status"] == "ok", entry["task"]
        assert entry["result"]["changed"] is False, entry["task"]
    # One get_topic call per task, nothing else.
    assert calls == {"million_group_open_http_svc/get_topic": len(play.results)}


def test_errors_fail_clearly(emulator):
    plain = emulator.community(support_topic=0)
    emulator.reset_stats()
    play = run_play([
        info_task("no such group", ignore_errors=True, group_id="@TGS#_@TGS#cNOSUCHGROUP"),
        info_task("topics not enabled", ignore_errors=True, group_id=plain),
        info_task("wrong key", ignore_errors=True, group_id=plain, secret_key="not-the-key-0123456789"),
        info_task("not a community id", ignore_errors=True, group_id="@TGS#aBCDEF"),
        info_task("unknown field", ignore_errors=True, group_id=plain, fields=["colour"]),
    ], emulator)

    for entry in play.results:
        assert entry["status"] == "failed", entry["task"]
        assert entry["result"]["changed"] is False, entry["task"]

    missing = play.task("no such group")
    assert missing["error_code"] == 10010
    assert "@TGS#_@TGS#cNOSUCHGROUP" in missing["msg"] and "10010" in missing["msg"]

    disabled = play.task("topics not enabled")
    assert disabled["error_code"] == 11000
    assert "11000" in disabled["msg"] and "not enabled" in disabled["msg"] and plain in disabled["msg"]

    wrong_key = play.task("wrong key")
    assert wrong_key["error_code"] == 70009
    assert "70009" in wrong_key["msg"] and "secret key" in wrong_key["msg"]
    assert "not-the-key-0123456789" not in play.stdout + play.stderr

    not_community = play.task("not a community id")
    assert "@TGS#_" in not_community["msg"]

    assert "colour" in play.task("unknown field")["msg"]

    assert emulator.writes() == 0
    # The id check and the field check fail before any call.
    assert emulator.calls() == {"million_group_open_http_svc/get_topic": 3}


def test_output_is_accepted_by_tim_topic_and_tim_topic_import(emulator, tmp_path):
    group, ids = make_community(emulator)
    copy_a = emulator.community()
    copy_b = emulator.community()
    saved = str(tmp_path / "topics.json")
    emulator.reset_stats()
    play = run_play([
        info_task("read", register="source", group_id=group),
        {"name": "tim_topic with the output", "tim.chat.tim_topic": {"group_id": group, "topics": "{{ source.topics }}"}},
        {"name": "import into the same community", "tim.chat.tim_topic_import": {
            "group_id": group, "topics": "{{ source.topics }}"}},
        {"name": "import as a list", "tim.chat.tim_topic_import": {"group_id": copy_a, "topics": "{{ source.topics }}"}},
        {"name": "save", "ansible.builtin.copy": {"content": "{{ source.topics | to_nice_json }}", "dest": saved,
                                                  "mode": "0600"}},
        {"name": "import the file", "tim.chat.tim_topic_import": {"group_id": copy_b, "src": saved}},
    ], emulator)
    assert play.rc == 0, play.stdout[-3000:]

    same = play.task("tim_topic with the output")
    assert same["changed"] is False
    assert sorted(topic["topic_id"] for topic in same["topics"]) == sorted(ids.values())
    again = play.task("import into the same community")
    assert again["changed"] is False and again["imported"] == []
    assert sorted(skip["topic_id"] for skip in again["skipped_topics"]) == sorted(ids.values())

    source = dict((topic["TopicName"], topic) for topic in emulator.rest.topics(group))
    for task, target in (("import as a list", copy_a), ("import the file", copy_b)):
        result = play.task(task)
        assert result["changed"] is True
        assert sorted(item["topic_name"] for item in result["imported"]) == ["Announcements", "General", "Help"]
        copied = dict((topic["TopicName"], topic) for topic in emulator.rest.topics(target))
        assert sorted(copied) == sorted(source)
        assert copied["General"]["TopicId"] == target + "@TOPIC#_general"
        for name, topic in copied.items():
            for field in ("Notification", "Introduction", "FaceUrl", "CustomString", "CreateTime", "MuteAllMember"):
                assert topic[field] == source[name][field], (task, name, field)

    # Only the two copies were written to: 3 imports each and the mute of the muted topic.
    calls = emulator.calls()
    assert sum(count for api, count in calls.items() if api.endswith("/import_topic")) == 6
    assert calls.get("million_group_open_http_svc/modify_topic") == 2
    assert "million_group_open_http_svc/create_topic" not in calls
    assert "million_group_open_http_svc/destroy_topic" not in calls
    assert emulator.writes() == 8

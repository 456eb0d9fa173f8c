# -*- coding: utf-8 -*-
"""tim.chat.tim_topic against the emulator: check mode, then the change, then the idempotent rerun."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import Counter

import pytest

from tests.integration.conftest import connection, run_play, topic_task


def by_name(emulator, group):
    return dict((topic["TopicName"], topic) for topic in emulator.rest.topics(group))


def test_single_topic_lifecycle_check_then_change_then_rerun(emulator):
    group = emulator.community()
    wanted = dict(group_id=group, topic_name="General", notification="Be nice", introduction=u"\u8bdd\u9898")
    tasks = [
        dict(topic_task("check create", **wanted), check_mode=True),
        topic_task("create", **wanted),
        topic_task("create again", **wanted),
    ]
    play = run_play(tasks, emulator, diff=True)
    check, create, again = play.task("check create"), play.task("create"), play.task("create again")
    assert check["changed"] and check["created"] == ["new topic 'General'"]
    # One diff entry per changed topic, named in its headers, its fields as YAML text with non-ASCII kept.
    assert check["diff"] == [dict(before_header="topic 'General' (new)", after_header="topic 'General' (new)",
                                  before="", after=u'introduction: "\u8bdd\u9898"\nnotification: "Be nice"\n'
                                  u'topic_name: "General"\n')]
    assert u"+introduction: \"\u8bdd\u9898\"" in play.stdout and "+++ after: topic 'General' (new)" in play.stdout
    assert check["changes"] == [dict(kind="topic", action="created", name="General", id=None)]
    assert create["changed"] and len(create["created"]) == 1
    topic_id = create["created"][0]
    assert topic_id.startswith(group + "@TOPIC#_@TOPIC#")
    assert create["topic"]["topic_id"] == topic_id and create["topic"]["notification"] == "Be nice"
    assert not again["changed"] and again["created"] == again["modified"] == []
    assert again["topic"]["topic_id"] == topic_id
    calls = emulator.calls()
    assert calls.get("million_group_open_http_svc/create_topic") == 1
    assert calls.get("million_group_open_http_svc/get_topic") == 3  # one read per run, none after
    stored = by_name(emulator, group)["General"]
    assert (stored["Notification"], stored["Introduction"]) == ("Be nice", u"\u8bdd\u9898")


def test_custom_id_modify_clear_mute_and_absent(emulator):
    group = emulator.community()
    custom_id = group + "@TOPIC#_releases"
    ident = dict(group_id=group, topic_id=custom_id)
    play = run_play([
        topic_task("create with id", topic_name="Releases", face_url="https://x.test/a.png", notification="n1",
                   **ident),
        dict(topic_task("check modify", notification="n2", **ident), check_mode=True),
        topic_task("modify one field", notification="n2", **ident),
        topic_task("clear a field", face_url="", **ident),
        topic_task("mute", mute_all_member=True, **ident),
        topic_task("mute again", mute_all_member=True, notification="n2", face_url="", **ident),
    ], emulator, diff=True)
    assert play.task("create with id")["created"] == [custom_id]
    check = play.task("check modify")
    assert check["changed"] and check["modified"] == [custom_id]
    header = "topic 'Releases' (%s)" % custom_id
    assert check["diff"] == [dict(before_header=header, after_header=header, before='notification: "n1"\n',
                                  after='notification: "n2"\n')]
    assert check["changes"] == [dict(kind="topic", action="modified", name="Releases", id=custom_id)]
    assert play.task("modify one field")["modified"] == [custom_id]
    assert play.task("clear a field")["topic"]["face_url"] == ""
    assert play.task("mute")["topic"]["mute_all_member"] is True
    assert not play.task("mute again")["changed"]
    modify_bodies = [request for request in emulator.requests()
                     if request.get("command", "").endswith("modify_topic")]
    assert len(modify_bodies) == 3  # the check-mode run and the last run wrote nothing
    stored = emulator.rest.topics(group)[0]
    assert stored["TopicId"] == custom_id
    assert (stored["Notification"], stored["FaceUrl"], stored["MuteAllMember"]) == ("n2", "", "On")

    emulator.reset_stats()
    play = run_play([
        dict(topic_task("check absent", state="absent", **ident), check_mode=True),
        topic_task("absent", state="absent", **ident),
        topic_task("absent again", state="absent", **ident),
    ], emulator)
    assert play.task("check absent")["deleted"] == [custom_id]
    assert play.task("absent")["deleted"] == [custom_id] and play.task("absent")["topic"] == {}
    assert not play.task("absent again")["changed"]
    assert emulator.writes() == 1
    assert emulator.rest.topics(group) == []


def test_a_new_muted_topic_is_created_then_modified(emulator):
    group = emulator.community()
    play = run_play([topic_task("muted", group_id=group, topic_name="Quiet", mute_all_member=True)], emulator)
    assert play.task("muted")["changed"]
    assert by_name(emulator, group)["Quiet"]["MuteAllMember"] == "On"
    calls = emulator.calls()
    assert calls["million_group_open_http_svc/create_topic"] == 1
    assert calls["million_group_open_http_svc/modify_topic"] == 1


@pytest.mark.once
def test_bulk_200_then_update_some_then_purge(emulator):
    group = emulator.community()
    topics = [dict(topic_name="topic-%03d" % number, introduction="intro %d" % number) for number in range(200)]
    play = run_play([
        dict(topic_task("check bulk", group_id=group, topics=topics), check_mode=True),
        topic_task("bulk", group_id=group, topics=topics),
    ], emulator)
    assert len(play.task("check bulk")["created"]) == 200
    bulk = play.task("bulk")
    assert bulk["changed"] and len(bulk["created"]) == 200 and len(bulk["topics"]) == 200
    first_run_calls = emulator.calls()
    assert first_run_calls["million_group_open_http_svc/create_topic"] == 200
    assert first_run_calls["million_group_open_http_svc/get_topic"] == 2
    names = emulator.names(group)
    assert names == sorted(topic["topic_name"] for topic in topics)

    emulator.reset_stats()
    play = run_play([topic_task("bulk again", group_id=group, topics=topics)], emulator)
    assert not play.task("bulk again")["changed"]
    assert emulator.calls() == {"million_group_open_http_svc/get_topic": 1}
    print("bulk 200: first run %s, second run %s" % (first_run_calls, emulator.calls()))

    for topic in topics[:10]:
        topic["notification"] = "updated"
    emulator.reset_stats()
    play = run_play([topic_task("update some", group_id=group, topics=topics)], emulator)
    assert emulator.calls() == {"million_group_open_http_svc/get_topic": 1,
                                "million_group_open_http_svc/modify_topic": 10}
    assert sorted(play.task("update some")["modified"]) == sorted(
        topic["TopicId"] for topic in emulator.rest.topics(group) if topic["TopicName"] < "topic-010")

    keep = topics[:150]
    emulator.reset_stats()
    play = run_play([
        dict(topic_task("check purge", group_id=group, topics=keep, purge=True), check_mode=True),
        topic_task("purge", group_id=group, topics=keep, purge=True),
        topic_task("purge again", group_id=group, topics=keep, purge=True),
    ], emulator)
    assert len(play.task("check purge")["deleted"]) == 50
    assert len(play.task("purge")["deleted"]) == 50
    assert not play.task("purge again")["changed"]
    assert emulator.calls()["million_group_open_http_svc/destroy_topic"] == 1  # all 50 in one call
    assert emulator.writes() == 1
    assert emulator.names(group) == sorted(topic["topic_name"] for topic in keep)


def test_without_purge_unlisted_topics_stay(emulator):
    group = emulator.community()
    emulator.rest.create_topic(group, "handmade")
    run_play([topic_task("declare", group_id=group, topics=[dict(topic_name="declared")])], emulator)
    assert emulator.names(group) == ["declared", "handmade"]


def test_two_existing_topics_with_the_name_fail_naming_both(emulator):
    group = emulator.community()
    first = emulator.rest.create_topic(group, "twin")
    second = emulator.rest.create_topic(group, "twin")
    emulator.reset_stats()
    play = run_play([topic_task("ambiguous", ignore_errors=True, group_id=group, topic_name="twin",
                                notification="x")], emulator)
    result = play.task("ambiguous")
    assert result["failed"]
    assert first in result["msg"] and second in result["msg"] and "topic_id" in result["msg"]
    assert emulator.writes() == 0


PREFIX_PLACEHOLDER = "GROUP"


@pytest.mark.parametrize("options, rule", [
    (dict(topic_name="x" * 31), "topic_name is 31 bytes in UTF-8, more than the 30 allowed"),
    (dict(topic_name=u"\u8bdd" * 10 + "x"), "topic_name is 31 bytes"),
    (dict(topic_name="n", custom_string="c" * 3001), "custom_string is 3001 bytes"),
    (dict(topic_name="n", face_url="f" * 101), "face_url is 101 bytes"),
    (dict(topic_name="n", notification=u"\u00e9" * 150 + "x"), "notification is 301 bytes"),
    (dict(topic_name="n", introduction="i" * 241), "introduction is 241 bytes"),
    (dict(topic_name=""), "topic_name must not be empty"),
    (dict(topic_name="n", topic_id="@TGS#_@TGS#other@TOPIC#_x"), "does not belong to group"),
    (dict(topic_name="n", topic_id="GROUP@TOPIC#_bad\u00e9"), "printable ASCII"),
    (dict(topic_name="n", topic_id="GROUP@TOPIC#_a@TGS#_b"), "must not contain '@TGS#_'"),
    (dict(topic_name="n", topic_id="GROUP@TOPIC#_@TOPIC#x"), "server-assigned"),
    (dict(topic_name="n", topic_id="GROUP@TOPIC#_" + "x" * 66), "is 97 bytes, more than 96"),
    (dict(topic_id="GROUP@TOPIC#_nameless"), "topic_name is required to create it"),
])
def test_validation_rules_fail_before_any_write(emulator, options, rule):
    group = emulator.community()
    options = dict((key, value.replace(PREFIX_PLACEHOLDER, group) if key == "topic_id" else value)
                   for key, value in options.items())
    emulator.reset_stats()
    play = run_play([topic_task("bad", ignore_errors=True, group_id=group, **options)], emulator)
    result = play.task("bad")
    assert result["failed"] and rule in result["msg"], result["msg"]
    assert emulator.writes() == 0


def test_bulk_validation_names_the_item_and_writes_nothing(emulator):
    group = emulator.community()
    emulator.reset_stats()
    play = run_play([
        topic_task("duplicates", ignore_errors=True, group_id=group,
                   topics=[dict(topic_name="a"), dict(topic_name="b"), dict(topic_name="a")]),
        topic_task("one bad of many", ignore_errors=True, group_id=group,
                   topics=[dict(topic_name="ok-%d" % number) for number in range(20)] + [dict(topic_name="y" * 40)]),
        topic_task("too many", ignore_errors=True, group_id=group,
                   topics=[dict(topic_name="t%d" % number) for number in range(201)]),
        topic_task("unknown key", ignore_errors=True, group_id=group, topics=[dict(topic_name="a", colour="red")]),
        topic_task("wrong type", ignore_errors=True, group_id=group, topics=[dict(topic_name="a",
                                                                                  mute_all_member="sometimes")]),
        topic_task("not a community", ignore_errors=True, group_id="@TGS#2plain", topic_name="a"),
        topic_task("both forms", ignore_errors=True, group_id=group, topic_name="a", topics=[dict(topic_name="b")]),
        topic_task("purge single", ignore_errors=True, group_id=group, topic_name="a", purge=True),
    ], emulator)
    assert "topics[2] topic 'a': topic_name is listed twice (also topics[0])" in play.task("duplicates")["msg"]
    assert "topics[20]" in play.task("one bad of many")["msg"]
    assert "201 topics, more than the 200" in play.task("too many")["msg"]
    assert "colour" in play.task("unknown key")["msg"]
    assert "mute_all_member" in play.task("wrong type")["msg"]
    assert "not a community" in play.task("not a community")["msg"]
    assert "mutually exclusive" in play.task("both forms")["msg"]
    assert "purge needs the topics option" in play.task("purge single")["msg"]
    assert all(play.status(name) == "failed" for name in ("duplicates", "one bad of many", "too many",
                                                          "unknown key", "wrong type", "not a community"))
    assert emulator.writes() == 0
    assert emulator.rest.topics(group) == []


@pytest.mark.once
def test_webhook_refusal_fails_clearly_keeps_the_others_and_rerun_converges(emulator, webhook):
    group = emulator.community()
    webhook.configure(refuse={"forbidden": 1, "reserved": 10150})
    emulator.configure(callback_url=webhook.url, callback_token="hook-token")
    topics = [dict(topic_name=name) for name in ("alpha", "forbidden", "beta", "reserved", "gamma")]
    play = run_play([
        topic_task("bulk with refusals", ignore_errors=True, group_id=group, topics=topics),
        topic_task("single refusal", ignore_errors=True, group_id=group, topic_name="forbidden"),
    ], emulator)
    bulk = play.task("bulk with refusals")
    assert bulk["failed"] and bulk["changed"]
    assert "the app's Group.CallbackBeforeCreateTopic webhook refused creating topic 'forbidden' (10016" in bulk["msg"]
    assert "refused creating topic 'reserved' (10150" in bulk["msg"]
    assert sorted(topic["topic_name"] for topic in bulk["topics"]) == ["alpha", "beta", "gamma"]
    assert len(bulk["created"]) == 3
    assert sorted(item["error_code"] for item in bulk["failed_topics"]) == [10016, 10150]
    single = play.task("single refusal")
    assert single["failed"] and single["error_code"] == 10016
    assert emulator.calls()["million_group_open_http_svc/create_topic"] == 6  # refusals are never retried
    assert all(item["sign_ok"] for item in webhook.received() if item.get("sign_ok") is not None)

    webhook.configure(refuse={})
    emulator.reset_stats()
    play = run_play([topic_task("rerun", group_id=group, topics=topics)], emulator)
    assert len(play.task("rerun")["created"]) == 2
    assert emulator.names(group) == sorted(topic["topic_name"] for topic in topics)


@pytest.mark.once
def test_fault_run_ends_with_each_wanted_topic_exactly_once(emulator):
    group = emulator.community()
    emulator.configure(latency_ms=20, error_rates={"10002": 0.1}, drop_rate=0.1, http_502_rate=0.05, seed=7)
    topics = [dict(topic_name="f-%02d" % number, notification="n") for number in range(60)]
    play = run_play([topic_task("faulty bulk", ignore_errors=True, group_id=group, topics=topics, timeout=3)],
                    emulator)
    first = play.task("faulty bulk")
    faults = emulator.stats()["faults"]
    assert sum(faults.values()) > 0, faults
    emulator.configure(latency_ms=0, error_rates={}, drop_rate=0, http_502_rate=0)
    if first.get("failed"):
        run_play([topic_task("rerun", group_id=group, topics=topics)], emulator)
    names = Counter(topic["TopicName"] for topic in emulator.rest.topics(group))
    assert names == Counter(topic["topic_name"] for topic in topics)  # every topic, each exactly once
    assert "retry" in " ".join(first.get("warnings", []))
    print("fault run: %s, first run failed=%s" % (faults, bool(first.get("failed"))))


def test_secrets_never_show_at_vvvv(emulator):
    group = emulator.community()
    emulator.configure(error_rates={"10002": 0.5}, seed=3)
    play = run_play([
        topic_task("create", group_id=group, topic_name="secretive"),
        topic_task("fail", ignore_errors=True, group_id=group, topic_name="x" * 40),
        topic_task("unreachable", ignore_errors=True, group_id=group, topic_name="y", base_url="http://127.0.0.1:9",
                   retries=1),
    ], emulator, verbosity=4)
    output = play.stdout + play.stderr
    assert emulator.process.secret_key not in output
    assert "retry" in output  # the faults did happen and were reported
    assert "usersig=" not in output.replace("usersig=********", "")
    unreachable = play.task("unreachable")
    assert unreachable["failed"] and "connection to http://127.0.0.1:9 refused" in unreachable["msg"]


def test_environment_variables_configure_the_connection(emulator):
    group = emulator.community()
    settings = connection(emulator)
    env = dict(TIM_SDKAPPID=str(settings["sdkappid"]), TIM_SECRET_KEY=settings["secret_key"],
               TIM_BASE_URL=settings["base_url"])
    play = run_play([topic_task("from env", group_id=group, topic_name="env")], module_defaults={}, env=env)
    assert play.task("from env")["changed"]
    play = run_play([topic_task("wrong key", ignore_errors=True, group_id=group, topic_name="env2")],
                    module_defaults={}, env=dict(env, TIM_SECRET_KEY="not-the-key"))
    wrong = play.task("wrong key")
    assert wrong["failed"] and wrong["error_code"] == 70009
    assert "secret key does not belong to this sdkappid" in wrong["msg"]

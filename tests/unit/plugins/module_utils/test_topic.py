# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.tim.chat.plugins.module_utils._topic import (
    create_payload,
    custom_topic_id_error,
    differences,
    modify_payload,
    plan_changes,
    topic_from_api,
    validate_group_id,
    validate_wanted,
)

GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"
PREFIX = GROUP + "@TOPIC#_"


def existing(name, suffix=None, **fields):
    topic = dict(topic_id=PREFIX + (suffix or "@TOPIC#" + name), topic_name=name, custom_string="",
                 face_url="", notification="", introduction="", mute_all_member=False)
    topic.update(fields)
    return topic


def test_topic_from_api_converts_names_and_mute_flag():
    info = dict(TopicId=PREFIX + "a", GroupID=GROUP, TopicName="A", FaceUrl="f", Notification="n",
                Introduction="i", CustomString="c", CreateTime=5, LastMsgTime=6, NextMsgSeq=7, MuteAllMember="On")
    self_info = dict(ShutUpTime=0, MsgSeq=3, MsgFlag="AcceptAndNotify")
    assert topic_from_api(info, self_info) == dict(
        topic_id=PREFIX + "a", group_id=GROUP, topic_name="A", face_url="f", notification="n", introduction="i",
        custom_string="c", create_time=5, last_msg_time=6, next_msg_seq=7, mute_all_member=True,
        self_info=dict(shut_up_time=0, msg_seq=3, msg_flag="AcceptAndNotify"))


def test_payloads_carry_only_given_fields():
    assert create_payload(GROUP, dict(topic_name="A", notification="", topic_id=None)) == dict(
        GroupId=GROUP, TopicName="A", Notification="")
    assert modify_payload(GROUP, PREFIX + "a", dict(mute_all_member=True, face_url="u")) == dict(
        GroupId=GROUP, TopicId=PREFIX + "a", MuteAllMember="On", FaceUrl="u")


@pytest.mark.parametrize("custom, problem", [
    ("ok-topic_1", None),
    ("with space~", None),
    ("", "empty"),
    ("@TOPIC#abc", "server-assigned"),
    ("a@TGS#_b", "must not contain"),
    ("a@TOPIC#_@TOPIC#b", "must not contain"),
    (u"caf\u00e9", "printable ASCII"),
    ("tab\there", "printable ASCII"),
    ("x" * (96 - len(PREFIX)), None),
    ("x" * (97 - len(PREFIX)), "97 bytes"),
])
def test_custom_topic_id_rules(custom, problem):
    error = custom_topic_id_error(GROUP, PREFIX + custom)
    if problem is None:
        assert error is None
    else:
        assert problem in error


def test_custom_topic_id_must_have_the_group_prefix():
    assert "must be the group ID" in custom_topic_id_error(GROUP, "@TGS#_@TGS#other@TOPIC#_x")


def test_group_id_must_be_a_community():
    assert validate_group_id(GROUP) is None
    assert "not a community" in validate_group_id("@TGS#2abc")


@pytest.mark.parametrize("option, limit", [
    ("topic_name", 30), ("custom_string", 3000), ("face_url", 100), ("notification", 300), ("introduction", 240)])
def test_byte_limits_count_utf8_bytes(option, limit):
    chinese = u"\u8bdd"  # 3 bytes in UTF-8
    at_limit = chinese * (limit // 3) + "x" * (limit % 3)
    assert validate_wanted(GROUP, [{"topic_name": "n", option: at_limit}], "present") == []
    errors = validate_wanted(GROUP, [{"topic_name": "n", option: at_limit + "x"}], "present")
    assert len(errors) == 1
    assert "%s is %d bytes in UTF-8, more than the %d allowed" % (option, limit + 1, limit) in errors[0]
    assert errors[0].startswith("topics[0]")


def test_ten_chinese_characters_make_a_full_name():
    assert validate_wanted(GROUP, [{"topic_name": u"\u8bdd" * 10}], "present") == []
    assert validate_wanted(GROUP, [{"topic_name": u"\u8bdd" * 11}], "present") != []


def test_list_problems_name_the_item():
    errors = validate_wanted(GROUP, [
        {"topic_name": "a"}, {"topic_name": "a"}, {"topic_id": PREFIX + "x", "topic_name": "b"},
        {"topic_id": PREFIX + "x", "topic_name": "c"}, {}, {"topic_name": "   "},
        {"topic_id": "@TGS#_@TGS#other@TOPIC#_y", "topic_name": "d"},
    ], "present")
    text = "\n".join(errors)
    assert "topics[1] topic 'a': topic_name is listed twice (also topics[0])" in text
    assert "topics[3] topic 'c' (id %sx): topic_id is listed twice (also topics[2])" % PREFIX in text
    assert "topics[4] topic without name or id: give topic_id or topic_name" in text
    assert "topics[5] topic '   ': topic_name must not be empty" in text
    assert "topics[6] topic 'd'" in text and "does not belong to group" in text
    assert len(errors) == 5


def test_differences_only_for_given_options():
    current = existing("A", notification="old", mute_all_member=False)
    assert differences(dict(topic_name="A"), current) == {}
    assert differences(dict(topic_name="A", notification=""), current) == {"notification": ("old", "")}
    assert differences(dict(topic_name="A", mute_all_member=True), current) == {"mute_all_member": (False, True)}
    assert differences(dict(topic_name="A", mute_all_member=None, face_url=None), current) == {}


def test_plan_creates_modifies_and_leaves_alone():
    topics = [existing("A", notification="x"), existing("B")]
    plan = plan_changes(GROUP, [dict(topic_name="A", notification="y"), dict(topic_name="B"),
                                dict(topic_name="C", mute_all_member=True)], topics, "present", False)
    assert [wanted["topic_name"] for wanted in plan.creates] == ["C"]
    assert plan.modifies == [(topics[0]["topic_id"], {"notification": ("x", "y")}, None)]
    assert plan.unchanged == [topics[1]]
    assert plan.deletes == []
    diff = plan.diff()
    assert diff["before"] == {topics[0]["topic_id"]: {"notification": "x"}}
    assert diff["after"] == {topics[0]["topic_id"]: {"notification": "y"},
                             "new topic 'C'": {"topic_name": "C", "mute_all_member": True}}


def test_second_identical_plan_is_empty():
    topics = [existing("A", notification="y", mute_all_member=True)]
    plan = plan_changes(GROUP, [dict(topic_name="A", notification="y", mute_all_member=True)], topics, "present", True)
    assert not plan.changed


def test_topic_id_wins_over_name():
    topics = [existing("A", suffix="a1")]
    plan = plan_changes(GROUP, [dict(topic_id=PREFIX + "a1", topic_name="Renamed")], topics, "present", False)
    assert plan.modifies == [(PREFIX + "a1", {"topic_name": ("A", "Renamed")}, None)]


def test_purge_deletes_unlisted_topics_first_in_count():
    topics = [existing("keep"), existing("drop")]
    plan = plan_changes(GROUP, [dict(topic_name="keep")], topics, "present", True)
    assert plan.deletes == [topics[1]]
    plan = plan_changes(GROUP, [dict(topic_name="keep")], topics, "present", False)
    assert plan.deletes == []


def test_absent_deletes_what_exists_and_ignores_the_rest():
    topics = [existing("A")]
    plan = plan_changes(GROUP, [dict(topic_name="A"), dict(topic_name="nope")], topics, "absent", False)
    assert plan.deletes == topics and not plan.creates


def test_duplicate_existing_names_fail_naming_both_ids():
    topics = [existing("A", suffix="one"), existing("A", suffix="two")]
    with pytest.raises(ValueError) as caught:
        plan_changes(GROUP, [dict(topic_name="A", notification="n")], topics, "present", False)
    assert PREFIX + "one" in str(caught.value) and PREFIX + "two" in str(caught.value)


def test_two_items_for_one_topic_fail():
    topics = [existing("A", suffix="a")]
    with pytest.raises(ValueError) as caught:
        plan_changes(GROUP, [dict(topic_name="A"), dict(topic_id=PREFIX + "a", topic_name="B")], topics,
                     "present", False)
    assert "same existing topic" in str(caught.value)


def test_creation_needs_a_name_and_a_settable_id():
    with pytest.raises(ValueError) as caught:
        plan_changes(GROUP, [dict(topic_id=PREFIX + "x")], [], "present", False)
    assert "topic_name is required" in str(caught.value)
    with pytest.raises(ValueError) as caught:
        plan_changes(GROUP, [dict(topic_id=PREFIX + "@TOPIC#abc", topic_name="n")], [], "present", False)
    assert "server-assigned" in str(caught.value)


def test_more_than_200_topics_fail_before_writing():
    topics = [existing("t%d" % number) for number in range(150)]
    wanted = [dict(topic_name="new%d" % number) for number in range(51)]
    with pytest.raises(ValueError) as caught:
        plan_changes(GROUP, wanted, topics, "present", False)
    assert "would hold 201 topics" in str(caught.value)
    # with purge the unlisted ones make room
    assert len(plan_changes(GROUP, wanted, topics, "present", True).creates) == 51

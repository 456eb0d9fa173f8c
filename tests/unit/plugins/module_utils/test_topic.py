# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.tim.chat.plugins.module_utils._change import CREATE, DELETE, KEEP, MODIFY, Change, Declaration
from ansible_collections.tim.chat.plugins.module_utils._engine import differences, plan, validation_problems
from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC, community_problem, custom_topic_id_problem

GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"
PREFIX = GROUP + "@TOPIC#_"


def custom_topic_id_error(group_id, topic_id):
    """The problems of ``topic_id`` as the ID of a topic to create in ``group_id``, or None."""
    return TOPIC.id_problem(group_id, topic_id) or custom_topic_id_problem(group_id, topic_id)


def validate_wanted(group_id, topics, state, importing=False):
    return validation_problems(Declaration(TOPIC, group_id, topics, state, importing=importing))


def plan_changes(group_id, wanted_topics, existing_topics, state, purge):
    declaration = Declaration(TOPIC, group_id, wanted_topics, state, purge)
    plan(declaration, existing_topics)
    return declaration


def actions(declaration, action):
    return [change for change in declaration.changes if change.action == action]


def changed_fields(change):
    return dict((field.option, (before, after)) for field, before, after in change.differences)


def existing(name, suffix=None, **fields):
    topic = dict(topic_id=PREFIX + (suffix or "@TOPIC#" + name), topic_name=name, custom_string="",
                 face_url="", notification="", introduction="", mute_all_member=False)
    topic.update(fields)
    return topic


def test_topic_from_api_converts_names_and_mute_flag():
    info = dict(TopicId=PREFIX + "a", GroupID=GROUP, TopicName="A", FaceUrl="f", Notification="n",
                Introduction="i", CustomString="c", CreateTime=5, LastMsgTime=6, NextMsgSeq=7, MuteAllMember="On")
    self_info = dict(ShutUpTime=0, MsgSeq=3, MsgFlag="AcceptAndNotify")
    assert TOPIC.from_api(info, self_info) == dict(
        topic_id=PREFIX + "a", group_id=GROUP, topic_name="A", face_url="f", notification="n", introduction="i",
        custom_string="c", create_time=5, last_msg_time=6, next_msg_seq=7, mute_all_member=True,
        self_info=dict(shut_up_time=0, msg_seq=3, msg_flag="AcceptAndNotify"))


def test_payloads_carry_only_given_fields():
    declaration = Declaration(TOPIC, GROUP, [])
    create = Change(declaration, CREATE, dict(topic_name="A", notification="", mute_all_member=True))
    assert create.create_body() == dict(TopicName="A", Notification="")
    assert create.follow_up_body() == dict(MuteAllMember="On")
    current = existing("A", face_url="old")
    wanted = dict(topic_name="A", mute_all_member=True, face_url="u", from_account="member1")
    modify = Change(declaration, MODIFY, wanted, current, differences(TOPIC, wanted, current))
    assert modify.modify_body() == dict(MuteAllMember="On", FaceUrl="u", From_Account="member1")


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
    assert "does not belong to group" in custom_topic_id_error(GROUP, "@TGS#_@TGS#other@TOPIC#_x")


def test_group_id_must_be_a_community():
    assert community_problem(GROUP) is None
    assert "not a community" in community_problem("@TGS#2abc")


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
    assert differences(TOPIC, dict(topic_name="A"), current) == []
    assert [(field.option, before, after) for field, before, after in differences(
        TOPIC, dict(topic_name="A", notification=""), current)] == [("notification", "old", "")]
    assert [(field.option, before, after) for field, before, after in differences(
        TOPIC, dict(topic_name="A", mute_all_member=True), current)] == [("mute_all_member", False, True)]
    assert differences(TOPIC, dict(topic_name="A", mute_all_member=None, face_url=None), current) == []


def test_plan_creates_modifies_and_leaves_alone():
    topics = [existing("A", notification="x"), existing("B")]
    declaration = plan_changes(GROUP, [dict(topic_name="A", notification="y"), dict(topic_name="B"),
                                       dict(topic_name="C", mute_all_member=True)], topics, "present", False)
    assert [change.wanted["topic_name"] for change in actions(declaration, CREATE)] == ["C"]
    modify, = actions(declaration, MODIFY)
    assert (modify.resource_id, changed_fields(modify)) == (topics[0]["topic_id"], {"notification": ("x", "y")})
    assert [change.current for change in actions(declaration, KEEP)] == [topics[1]]
    assert actions(declaration, DELETE) == []
    assert [change.diff() for change in declaration.changes if change.changed] == [
        dict(before_header="topic 'A' (%s)" % topics[0]["topic_id"], after_header="topic 'A' (%s)" % topics[0]["topic_id"],
             before='notification: "x"\n', after='notification: "y"\n'),
        dict(before_header="topic 'C' (new)", after_header="topic 'C' (new)", before="",
             after='mute_all_member: true\ntopic_name: "C"\n')]


def test_diff_keeps_non_ascii_text_as_it_is():
    declaration = plan_changes(GROUP, [dict(topic_name=u"\u8bdd\u9898")], [], "present", False)
    assert declaration.changes[0].diff()["after"] == u'topic_name: "\u8bdd\u9898"\n'


def test_second_identical_plan_is_empty():
    topics = [existing("A", notification="y", mute_all_member=True)]
    declaration = plan_changes(GROUP, [dict(topic_name="A", notification="y", mute_all_member=True)], topics,
                               "present", True)
    assert not any(change.changed for change in declaration.changes)


def test_topic_id_wins_over_name():
    topics = [existing("A", suffix="a1")]
    declaration = plan_changes(GROUP, [dict(topic_id=PREFIX + "a1", topic_name="Renamed")], topics, "present", False)
    modify, = actions(declaration, MODIFY)
    assert (modify.resource_id, changed_fields(modify)) == (PREFIX + "a1", {"topic_name": ("A", "Renamed")})


def test_purge_deletes_unlisted_topics_first_in_count():
    topics = [existing("keep"), existing("drop")]
    declaration = plan_changes(GROUP, [dict(topic_name="keep")], topics, "present", True)
    assert [change.current for change in actions(declaration, DELETE)] == [topics[1]]
    declaration = plan_changes(GROUP, [dict(topic_name="keep")], topics, "present", False)
    assert actions(declaration, DELETE) == []


def test_absent_deletes_what_exists_and_ignores_the_rest():
    topics = [existing("A")]
    declaration = plan_changes(GROUP, [dict(topic_name="A"), dict(topic_name="nope")], topics, "absent", False)
    assert [change.current for change in actions(declaration, DELETE)] == topics
    assert not actions(declaration, CREATE)


def test_duplicate_existing_names_fail_naming_both_ids():
    topics = [existing("A", suffix="one"), existing("A", suffix="two")]
    with pytest.raises(InvalidInput) as caught:
        plan_changes(GROUP, [dict(topic_name="A", notification="n")], topics, "present", False)
    assert PREFIX + "one" in str(caught.value) and PREFIX + "two" in str(caught.value)


def test_two_items_for_one_topic_fail():
    topics = [existing("A", suffix="a")]
    with pytest.raises(InvalidInput) as caught:
        plan_changes(GROUP, [dict(topic_name="A"), dict(topic_id=PREFIX + "a", topic_name="B")], topics,
                     "present", False)
    assert "same existing topic" in str(caught.value)


def test_creation_needs_a_name_and_a_settable_id():
    with pytest.raises(InvalidInput) as caught:
        plan_changes(GROUP, [dict(topic_id=PREFIX + "x")], [], "present", False)
    assert "topic_name is required" in str(caught.value)
    with pytest.raises(InvalidInput) as caught:
        plan_changes(GROUP, [dict(topic_id=PREFIX + "@TOPIC#abc", topic_name="n")], [], "present", False)
    assert "server-assigned" in str(caught.value)


def test_more_than_200_topics_fail_before_writing():
    topics = [existing("t%d" % number) for number in range(150)]
    wanted = [dict(topic_name="new%d" % number) for number in range(51)]
    with pytest.raises(InvalidInput) as caught:
        plan_changes(GROUP, wanted, topics, "present", False)
    assert "would hold 201 topics" in str(caught.value)
    # with purge the unlisted ones make room
    assert len(actions(plan_changes(GROUP, wanted, topics, "present", True), CREATE)) == 51


def test_create_time_is_ignored_by_tim_topic_and_checked_when_importing():
    topics = [dict(topic_name="A", create_time="not a time")]
    assert validate_wanted(GROUP, topics, "present") == []
    assert validate_wanted(GROUP, topics, "present", importing=True) == [
        "topics[0] topic 'A': create_time must be unix seconds between 0 and now"]


def test_an_id_of_another_group_is_one_problem_not_two():
    problems = validate_wanted(GROUP, [dict(topic_id="elsewhere", topic_name="A")], "present", importing=True)
    assert len(problems) == 1 and "does not belong to group" in problems[0]

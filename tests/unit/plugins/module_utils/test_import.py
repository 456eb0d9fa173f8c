# -*- coding: utf-8 -*-
"""Unit tests of tim_topic_import's parts: reading src files, item checks, id rebasing, a failed mute."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml

from ansible_collections.tim.chat.plugins.module_utils._change import Declaration
from ansible_collections.tim.chat.plugins.module_utils._engine import run
from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput, TimApiError
from ansible_collections.tim.chat.plugins.module_utils._source import MAX_SRC_BYTES, load_items
from ansible_collections.tim.chat.plugins.module_utils._topic import TOPIC
from ansible_collections.tim.chat.plugins.module_utils._validation import type_problems

SOURCE = "@TGS#_@TGS#cSOURCE0001"
TARGET = "@TGS#_@TGS#cTARGET0002"


ITEM_SPEC = TOPIC.item_options(importing=True)


def load_topics_file(path):
    return load_items(path, TOPIC, ITEM_SPEC)


def item_problems(item):
    return type_problems(ITEM_SPEC, item, strict=True)


def rebase(group_id, item):
    return TOPIC.adopt(group_id, item)


def import_topics(client, group_id, source, on_existing):
    return run(client, [Declaration(TOPIC, group_id, source, importing=True, on_existing=on_existing)])


def info_topic(topic_id, name, **fields):
    """One topic as tim_topic_info returns it."""
    topic = dict(topic_id=topic_id, group_id=SOURCE, topic_name=name, face_url="", notification="n",
                 introduction="", custom_string="", create_time=1500000000, last_msg_time=0, next_msg_seq=1,
                 mute_all_member=False, self_info=dict(shut_up_time=0, msg_seq=0, msg_flag="AcceptAndNotify"))
    topic.update(fields)
    return topic


# --- load_topics_file -----------------------------------------------------------------------------


def test_load_json_list(tmp_path):
    path = tmp_path / "topics.json"
    path.write_text(json.dumps([dict(topic_name="A", create_time=5), dict(topic_name="B", notification=None)]))
    assert load_topics_file(str(path)) == [dict(topic_name="A", create_time=5), dict(topic_name="B")]


def test_load_yaml_list_with_utf8(tmp_path):
    path = tmp_path / "topics.yml"
    path.write_bytes(u"- topic_name: Três\n  introduction: olá\n- topic_name: B\n  mute_all_member: true\n"
                     .encode("utf-8"))
    assert load_topics_file(str(path)) == [dict(topic_name=u"Três", introduction=u"olá"),
                                           dict(topic_name="B", mute_all_member=True)]


def test_a_file_that_is_not_utf8_is_refused_not_mangled(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(u'[{"topic_name": "Caf\u00e9"}]'.encode("latin-1"))
    with pytest.raises(InvalidInput) as caught:
        load_topics_file(str(path))
    assert "not UTF-8" in str(caught.value) and "0xe9" in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize("dump", [json.dumps, yaml.safe_dump], ids=["json", "yaml"])
def test_load_saved_tim_topic_info_result(tmp_path, dump):
    registered = dict(changed=False, failed=False, missing=[],
                      invocation=dict(module_args=dict(group_id=SOURCE)),
                      topics=[info_topic(SOURCE + "@TOPIC#_a", "A")])
    path = tmp_path / "saved"
    path.write_text(dump(registered))
    assert load_topics_file(str(path)) == registered["topics"]


def test_load_rejects_a_mapping_without_topics(tmp_path):
    path = tmp_path / "topics.yml"
    path.write_text("topic_name: A\n")
    with pytest.raises(InvalidInput, match="must hold a list of topics or a mapping with a 'topics' list"):
        load_topics_file(str(path))


def test_load_rejects_an_empty_file(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("")
    with pytest.raises(InvalidInput, match="must hold a list"):
        load_topics_file(str(path))


@pytest.mark.parametrize("text", ['[{"topic_name": "A"}, {"topic_name": ', "- topic_name: A\n  notification: [x\n- b: c\n"],
                         ids=["json", "yaml"])
def test_load_rejects_malformed_text(tmp_path, text):
    path = tmp_path / "bad"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_topics_file(str(path))
    assert str(path) in str(caught.value) and "neither valid JSON nor valid YAML" in str(caught.value)


def test_load_rejects_a_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="cannot read src .*nope.json: No such file"):
        load_topics_file(str(tmp_path / "nope.json"))


def test_load_size_limit_is_10_mib(tmp_path):
    path = tmp_path / "big.json"
    at_limit = "[" + " " * (MAX_SRC_BYTES - 2) + "]"
    path.write_text(at_limit)
    assert load_topics_file(str(path)) == []
    path.write_text(at_limit + " ")
    with pytest.raises(InvalidInput, match="is 10485761 bytes, more than the 10485760 allowed"):
        load_topics_file(str(path))


def test_load_names_every_bad_item(tmp_path):
    path = tmp_path / "topics.json"
    path.write_text(json.dumps([dict(topic_name="Fine"), dict(topic_name="Odd", colour="red"), "just a name",
                                dict(notification="no name")]))
    with pytest.raises(InvalidInput) as caught:
        load_topics_file(str(path))
    message = str(caught.value)
    assert "topics[1] topic 'Odd': unknown key 'colour'" in message
    assert "topics[2]: must be a mapping, not str" in message
    assert "topics[3] topic without name or id: topic_name is required" in message
    assert "topics[0]" not in message


# --- item_problems --------------------------------------------------------------------------------


def test_item_problems_accepts_tim_topic_info_output():
    assert item_problems(info_topic(SOURCE + "@TOPIC#_a", "A", mute_all_member=True)) == []


def test_item_problems_accepts_a_minimal_item():
    assert item_problems(dict(topic_name="A")) == []


@pytest.mark.parametrize("item, problem", [
    (dict(topic_name="A", colour="red"), "unknown key 'colour'"),
    (dict(notification="n"), "topic_name is required"),
    (dict(topic_name=2024), "topic_name must be a string"),
    (dict(topic_name="A", topic_id=7), "topic_id must be a string"),
    (dict(topic_name="A", notification=["n"]), "notification must be a string"),
    (dict(topic_name="A", from_account=10001), "from_account must be a string"),
    (dict(topic_name="A", create_time="2020-01-01"), "create_time must be an integer"),
    (dict(topic_name="A", create_time=1.5), "create_time must be an integer"),
    (dict(topic_name="A", create_time=True), "create_time must be an integer"),
    (dict(topic_name="A", mute_all_member="On"), "mute_all_member must be true or false"),
])
def test_item_problems(item, problem):
    problems = item_problems(item)
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_item_problems_lists_all_problems_of_an_item():
    problems = item_problems(dict(colour="red", create_time="now", face_url=1))
    assert len(problems) == 4
    assert any("unknown key 'colour'" in problem for problem in problems)


# --- rebase ---------------------------------------------------------------------------------------


def test_rebase_moves_a_custom_id_onto_the_target_group():
    wanted = rebase(TARGET, info_topic(SOURCE + "@TOPIC#_general", "General"))
    assert wanted["topic_id"] == TARGET + "@TOPIC#_general"


def test_rebase_keeps_an_id_of_the_target_group():
    assert rebase(TARGET, dict(topic_id=TARGET + "@TOPIC#_x", topic_name="X"))["topic_id"] == TARGET + "@TOPIC#_x"


def test_rebase_keeps_the_whole_custom_part():
    custom = "news & notes @ 2024"
    assert rebase(TARGET, dict(topic_id=SOURCE + "@TOPIC#_" + custom, topic_name="X"))["topic_id"] == (
        TARGET + "@TOPIC#_" + custom)


def test_rebase_drops_a_server_assigned_id():
    wanted = rebase(TARGET, info_topic(SOURCE + "@TOPIC#_@TOPIC#cABCDEF", "Help"))
    assert "topic_id" not in wanted
    assert wanted["topic_name"] == "Help"


def test_rebase_drops_read_only_keys_and_keeps_the_rest():
    source = info_topic(SOURCE + "@TOPIC#_a", "A", mute_all_member=True, custom_string="c")
    wanted = rebase(TARGET, source)
    assert wanted == dict(topic_id=TARGET + "@TOPIC#_a", topic_name="A", face_url="", notification="n",
                          introduction="", custom_string="c", create_time=1500000000, mute_all_member=True)
    assert source["topic_id"] == SOURCE + "@TOPIC#_a" and "self_info" in source  # the input is not changed


def test_rebase_without_id():
    assert rebase(TARGET, dict(topic_name="A", create_time=1)) == dict(topic_name="A", create_time=1)


# --- a mute that fails after the import -----------------------------------------------------------


class FakeClient:
    """Answers get_topic (empty community) and import_topic; refuses modify_topic."""

    identifier = "administrator"
    concurrency = 1
    check_mode = False

    def __init__(self):
        self.calls = []

    def read(self, service, command, body):
        self.calls.append(command)
        return dict(TopicAndSelfInfo=[])

    def write(self, service, command, body, idempotent=False, recheck=None):
        self.calls.append(command)
        if command == "import_topic":
            return dict(TopicId=body["GroupId"] + "@TOPIC#_@TOPIC#cNEW" + body["TopicName"])
        raise TimApiError("%s/%s" % (service, command), 10007, "no permission")


def test_a_failed_mute_is_reported_as_imported_but_not_muted():
    client = FakeClient()
    outcome = import_topics(client, TARGET, [dict(topic_name="Quiet", mute_all_member=True), dict(topic_name="Loud")],
                            "skip")
    assert client.calls == ["get_topic", "import_topic", "import_topic", "modify_topic"]
    assert sorted(item["topic_name"] for item in outcome.imported()) == ["Loud", "Quiet"]
    message = outcome.failure()[0]
    assert "topic 'Quiet' (id %s@TOPIC#_@TOPIC#cNEWQuiet), imported but not muted" % TARGET in message
    assert "tim.chat.tim_topic" in message and "10007" in message
    assert "2 imported" in message and "rerun converges" not in message


def test_rebase_keeps_an_id_that_is_no_topic_id_so_validation_rejects_it():
    wanted = rebase(TARGET, dict(topic_id="general", topic_name="General"))
    assert wanted["topic_id"] == "general"
    outcome = import_topics(None, TARGET, [dict(topic_id="general", topic_name="General")], "skip")
    assert "topic_id does not belong to group" in outcome.failure()[0]


def test_an_item_that_is_no_mapping_is_named(tmp_path):
    path = tmp_path / "topics.json"
    path.write_text(json.dumps([["A"]]))
    with pytest.raises(InvalidInput, match=r"topics\[0\]: must be a mapping, not list"):
        load_topics_file(str(path))

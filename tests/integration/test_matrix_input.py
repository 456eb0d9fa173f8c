# -*- coding: utf-8 -*-
"""Matrix, bad input: every bad value fails with a message that names the option (or the item) and the
rule, and nothing is written. The values just inside each limit are written and read back exactly.

Cases already covered elsewhere are not repeated here: test_topic.py (single-topic limits, é in an id,
'@TGS#_' in an id, 97-byte id, 201 new topics, duplicate names, unknown key in tim_topic's topics),
test_topic_import.py (malformed JSON/YAML src, 10 MiB + 2 src, create_time, 201 imports) and
test_topic_info.py (unknown field, not a community).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from collections import OrderedDict

import pytest

from tests.integration.conftest import WRITE_COMMANDS

READ = "million_group_open_http_svc/get_topic"
MAX_SRC_BYTES = 10 * 1024 * 1024
LIMITS = (("topic_name", "TopicName", 30), ("custom_string", "CustomString", 3000), ("face_url", "FaceUrl", 100),
          ("notification", "Notification", 300), ("introduction", "Introduction", 240))
CHARS = {1: u"a", 2: u"\u00e9", 3: u"\u8bdd", 4: u"\U0001F600"}  # a, é, 话, 😀: 1 to 4 bytes in UTF-8


def utf8(size, width, filler=u"a"):
    """Text of exactly ``size`` UTF-8 bytes, made of ``width``-byte characters (ASCII for the rest)."""
    text = CHARS[width] * (size // width) + filler * (size % width)
    assert len(text.encode("utf-8")) == size
    return text


class Case:
    """One bad-input task: its matrix row, module, name, arguments, the text its message must hold (a list
    when several), the get_topic calls it may make before failing, and how many bad values it holds."""

    def __init__(self, row, module, name, args, expect, reads=0, count=1):
        self.row, self.module, self.name, self.args, self.expect, self.reads = row, module, name, args, expect, reads
        self.count = count


def as_task(case, connection):
    args = dict(case.args)
    if "usersig" not in args:
        args.setdefault("secret_key", connection["secret_key"])
    return {"name": case.name, "tim.chat." + case.module: args, "ignore_errors": True}


def run_cases(matrix, emulator, cases, positives=None):
    """One -vvvv play of all ``cases``: each fails naming its rule, no write call, only the reads expected."""
    connection = dict(sdkappid=emulator.process.sdkappid, base_url=emulator.url, timeout=5, retries=5)
    emulator.reset_stats()
    play = matrix.play([as_task(case, dict(connection, secret_key=emulator.process.secret_key)) for case in cases],
                       emulator, module_defaults=connection)
    for case in cases:
        result = play.task(case.name)
        assert result["failed"], (case.name, result)
        assert not result.get("changed"), case.name
        for expected in case.expect if isinstance(case.expect, list) else [case.expect]:
            assert expected in result["msg"], "%s: %r not in %r" % (case.name, expected, result["msg"])
        assert "Traceback" not in result["msg"] and "MODULE FAILURE" not in result["msg"], case.name
    calls = emulator.calls()
    assert not [api for api in calls if api.rsplit("/", 1)[-1] in WRITE_COMMANDS], calls
    assert calls.get(READ, 0) == sum(case.reads for case in cases), calls  # nothing else read or retried
    rows = OrderedDict()
    for case in cases:
        rows.setdefault(case.row, []).append(case)
    for row, members in rows.items():
        matrix.row(row, faults_injected=sum(case.count for case in members), writes_verified=(positives or {}).get(row, 0),
                   result="failed-clearly")


def must_be_text(option, kind="dict"):
    return "%s must be a string, not a %s" % (option, kind)


def over_limit_items():
    """Every limited field, one byte over, in 1- to 4-byte characters: 20 items and their 20 messages."""
    items, messages = [], []
    for option, _api, limit in LIMITS:
        for width in sorted(CHARS):
            item = dict(topic_name="over-%s-%d" % (option, width))
            item[option] = utf8(limit + 1, width)
            messages.append("topics[%d] topic '%s': %s is %d bytes in UTF-8, more than the %d allowed"
                            % (len(items), item["topic_name"], option, limit + 1, limit))
            items.append(item)
    return items, messages


def bad_custom_ids(group):
    """(custom id, rule) the emulator and the reference reject; the group prefix itself is right."""
    prefix = group + "@TOPIC#_"
    return [
        (prefix + "bell\x01", "printable ASCII"),
        (prefix + "unit\x1fsep", "printable ASCII"),
        (prefix + "del\x7f", "printable ASCII"),
        (prefix + "tab\there", "printable ASCII"),
        (prefix + "x@TGS#_y", "must not contain '@TGS#_'"),
        (prefix + "x" * (97 - len(prefix)), "is 97 bytes, more than 96"),
        (prefix, "is empty"),
    ]


# --- tim_topic ----------------------------------------------------------------------------------


# The types are ansible-core's argument spec at work (each core); the rules are the collection's own (once).
@pytest.mark.parametrize("part", ["types", pytest.param("rules", marks=pytest.mark.once)])
def test_bad_input_tim_topic(matrix, emulator, part):
    """In two parts, to run in parallel: wrong types and numbers, and the topic rules."""
    group = emulator.community()
    crowded = emulator.community()
    if part == "rules":
        for number in range(150):
            emulator.rest.create_topic(crowded, "old-%03d" % number)
    over, over_messages = over_limit_items()
    ids = bad_custom_ids(group)
    single = dict(group_id=group, topic_name="t")

    def typed(option, value, kind, **extra):
        args = dict(single)
        args.update(extra)
        args[option] = value
        return Case("input-wrong-type/tim_topic", "tim_topic", "type %s %s" % (option, kind), args,
                    must_be_text(option, kind) if kind in ("dict", "list", "boolean") else option)

    # The text options are checked together (one message names each); ansible-core stops at its first error.
    texts = dict(group_id=({"id": 1}, "dict"), topic_id=([group + "@TOPIC#_x"], "list"), topic_name=(True, "boolean"),
                 from_account=(["bob"], "list"), custom_string=({"a": 1}, "dict"),
                 face_url=(["https://x.test/a.png"], "list"), notification=(True, "boolean"),
                 introduction=({"a": 1}, "dict"))
    cases = [
        Case("input-wrong-type/tim_topic", "tim_topic", "type text options",
             dict((option, value) for option, (value, _kind) in texts.items()),
             [must_be_text(option, kind) for option, (_value, kind) in sorted(texts.items())], count=len(texts)),
        typed("topic_name", {"a": 1}, "dict"),
        typed("mute_all_member", "sometimes", "str"),
        typed("state", "gone", "choice"),
        Case("input-wrong-type/tim_topic", "tim_topic", "type purge str",
             dict(group_id=group, topics=[dict(topic_name="a")], purge="perhaps"), "purge"),
        Case("input-wrong-type/tim_topic", "tim_topic", "type topics int", dict(group_id=group, topics=5),
             "a list, not 'int'"),  # ansible-core 2.16 says "must by a list"
        Case("input-wrong-type/tim_topic", "tim_topic", "type topics str", dict(group_id=group, topics="General"),
             "dictionary requested"),
        Case("input-wrong-type/tim_topic", "tim_topic", "type topics item dict name",
             dict(group_id=group, topics=[dict(topic_name="ok"), dict(topic_name={"a": 1})]),
             must_be_text("topics[1].topic_name")),
        Case("input-wrong-type/tim_topic", "tim_topic", "type topics item mute",
             dict(group_id=group, topics=[dict(topic_name="a", mute_all_member="maybe")]), "mute_all_member"),
        # Connection options: shared by the three modules, each tried once, the module rotating.
        typed("sdkappid", "abc", "int"),
        typed("region", "mars", "choice"),
        typed("validate_certs", "maybe", "bool"),
        typed("rate_limit", "fast", "float"),
        Case("input-bad-number/tim_topic", "tim_topic", "numbers out of range", dict(single, timeout=0, concurrency=0),
             ["timeout must be more than 0 seconds, not 0", "concurrency must be 1 or more, not 0"], count=2),
        Case("input-utf8-limits/tim_topic", "tim_topic", "one byte over", dict(group_id=group, topics=over),
             over_messages, count=len(over)),
        Case("input-utf8-limits/tim_topic", "tim_topic", "4-byte name one byte over, single",
             dict(group_id=group, topic_name=utf8(31, 4)), "topic_name is 31 bytes in UTF-8, more than the 30"),
        Case("input-topic-id/tim_topic", "tim_topic", "ids breaking the custom id rules",
             dict(group_id=group, topics=[dict(topic_id=topic_id, topic_name="id-%d" % number)
                                          for number, (topic_id, _rule) in enumerate(ids)]),
             ["topics[%d] topic 'id-%d'" % (number, number) for number in range(len(ids))]
             + sorted(set(rule for _id, rule in ids)), reads=1, count=len(ids)),
        Case("input-topic-id/tim_topic", "tim_topic", "id of another group, bulk",
             dict(group_id=group, topics=[dict(topic_id="@TGS#_@TGS#other@TOPIC#_x", topic_name="x")]),
             "topic_id does not belong to group %s" % group),
        Case("input-duplicates/tim_topic", "tim_topic", "same topic_id twice",
             dict(group_id=group, topics=[dict(topic_id=group + "@TOPIC#_d", topic_name="d1"),
                                          dict(topic_id=group + "@TOPIC#_d", topic_name="d2")]),
             "topics[1] topic 'd2' (id %s@TOPIC#_d): topic_id is listed twice (also topics[0])" % group),
        Case("input-over-200/tim_topic", "tim_topic", "150 held + 51 new",
             dict(group_id=crowded, topics=[dict(topic_name="new-%02d" % number) for number in range(51)]),
             "would hold 201 topics, more than the 200 a community can have (150 exist, 51 to create)", reads=1),
        Case("input-empty-names/tim_topic", "tim_topic", "blank name", dict(group_id=group, topic_name="   "),
             "topic_name must not be empty"),
        Case("input-empty-names/tim_topic", "tim_topic", "empty and tab names in a list",
             dict(group_id=group, topics=[dict(topic_name="fine"), dict(topic_name=""), dict(topic_name="\t")]),
             ["topics[1] topic '': topic_name must not be empty", "topics[2] topic '\t': topic_name must not be empty"],
             count=2),
        Case("input-unknown-keys/tim_topic", "tim_topic", "misspelt option",
             dict(group_id=group, topic_name="a", notifcation="typo"), "notifcation"),
    ]
    types = [case for case in cases if case.row.startswith(("input-wrong-type/", "input-bad-number/"))]
    cases = types if part == "types" else [case for case in cases if case not in types]
    run_cases(matrix, emulator, cases)
    assert emulator.rest.topics(group) == []
    assert len(emulator.rest.topics(crowded)) == (150 if part == "rules" else 0)


# --- tim_topic_import ---------------------------------------------------------------------------


# The types are ansible-core's argument spec at work (each core); the rules are the collection's own (once).
@pytest.mark.parametrize("part", ["types", pytest.param("rules", marks=pytest.mark.once)])
def test_bad_input_tim_topic_import(matrix, emulator, tmp_path, part):
    group = emulator.community()
    over, over_messages = over_limit_items()
    ids = bad_custom_ids(group)
    files = dict(
        too_big=(b"[" + b" " * (MAX_SRC_BYTES - 1) + b"]", "is %d bytes, more than the %d allowed"
                 % (MAX_SRC_BYTES + 1, MAX_SRC_BYTES)),
        latin1=(u'[{"topic_name": "Caf\u00e9"}]'.encode("latin-1"), "is not UTF-8 text"),
        mapping=(json.dumps({"items": [{"topic_name": "a"}]}).encode(), "must hold a list of topics"),
        scalar=(b"just some text\n", "must hold a list of topics"),
        not_mappings=(b"- General\n- Help\n", "topics[0]: must be a mapping, not str"),
        empty_name=(json.dumps([{"topic_name": "ok"}, {"topic_name": ""}]).encode(), "topic_name is required"),
    )
    cases = []
    for name, (content, expect) in sorted(files.items()):
        path = tmp_path / ("%s.src" % name)
        path.write_bytes(content)
        cases.append(Case("input-src-file/tim_topic_import", "tim_topic_import", "src " + name,
                          dict(group_id=group, src=str(path)), [expect, str(path)]))

    def listed(row, name, topics, expect, count=1):
        return Case(row, "tim_topic_import", name, dict(group_id=group, topics=topics), expect, count=count)

    cases += [
        Case("input-wrong-type/tim_topic_import", "tim_topic_import", "type text options",
             dict(group_id={"a": 1}, src={"path": "x"}, secret_key=["not-the-key-1234567"]),
             [must_be_text("group_id"), must_be_text("src"), must_be_text("secret_key", "list")], count=3),
        Case("input-wrong-type/tim_topic_import", "tim_topic_import", "type on_existing",
             dict(group_id=group, topics=[dict(topic_name="a")], on_existing="maybe"), "on_existing"),
        Case("input-wrong-type/tim_topic_import", "tim_topic_import", "type topics item str",
             dict(group_id=group, topics=["General"]), "dictionary requested"),
        listed("input-wrong-type/tim_topic_import", "type topics item name", [dict(topic_name=["x"])],
               must_be_text("topics[0].topic_name", "list")),
        listed("input-wrong-type/tim_topic_import", "type create_time", [dict(topic_name="a", create_time="yesterday")],
               "create_time"),
        listed("input-wrong-type/tim_topic_import", "type mute_all_member", [dict(topic_name="a", mute_all_member="x")],
               "mute_all_member"),
        listed("input-wrong-type/tim_topic_import", "missing topic_name", [dict(notification="n")], "topic_name"),
        Case("input-wrong-type/tim_topic_import", "tim_topic_import", "type usersig",
             dict(group_id=group, topics=[dict(topic_name="a")], usersig={"sig": "not-a-usersig-1234567"}),
             must_be_text("usersig")),
        Case("input-wrong-type/tim_topic_import", "tim_topic_import", "type timeout",
             dict(group_id=group, topics=[dict(topic_name="a")], timeout="soon"), "timeout"),
        Case("input-wrong-type/tim_topic_import", "tim_topic_import", "type retries",
             dict(group_id=group, topics=[dict(topic_name="a")], retries="many"), "retries"),
        Case("input-bad-number/tim_topic_import", "tim_topic_import", "number retries -1",
             dict(group_id=group, topics=[dict(topic_name="a")], retries=-1), "retries must be 0 or more"),
        listed("input-utf8-limits/tim_topic_import", "one byte over", over, over_messages, count=len(over)),
        listed("input-topic-id/tim_topic_import", "ids breaking the custom id rules",
               [dict(topic_id=topic_id, topic_name="id-%d" % number) for number, (topic_id, _rule) in enumerate(ids)]
               + [dict(topic_id="no-topic-mark", topic_name="id-x")],
               ["topics[%d] topic 'id-%d'" % (number, number) for number in range(len(ids))]
               + sorted(set(rule for _id, rule in ids)) + ["topic 'id-x' (id no-topic-mark): topic_id does not belong"],
               count=len(ids) + 1),
        listed("input-duplicates/tim_topic_import", "same name twice",
               [dict(topic_name="twin"), dict(topic_name="other"), dict(topic_name="twin")],
               "topics[2] topic 'twin': topic_name is listed twice (also topics[0])"),
        listed("input-duplicates/tim_topic_import", "same id twice, from two source groups",
               [dict(topic_id="@TGS#_@TGS#a@TOPIC#_same", topic_name="s1"),
                dict(topic_id="@TGS#_@TGS#b@TOPIC#_same", topic_name="s2")],
               "topic_id is listed twice (also topics[0])"),
        listed("input-empty-names/tim_topic_import", "empty and blank names",
               [dict(topic_name="fine"), dict(topic_name=""), dict(topic_name="  ")],
               ["topics[1] topic '': topic_name must not be empty", "topics[2] topic '  ': topic_name must not be empty"],
               count=2),
        listed("input-unknown-keys/tim_topic_import", "unknown key in an item",
               [dict(topic_name="a"), dict(topic_name="b", colour="red")], "colour"),
    ]
    types = [case for case in cases if case.row.startswith(("input-wrong-type/", "input-bad-number/"))]
    run_cases(matrix, emulator, types if part == "types" else [case for case in cases if case not in types])
    assert emulator.rest.topics(group) == []


# --- tim_topic_info -----------------------------------------------------------------------------


def test_bad_input_tim_topic_info(matrix, emulator):
    group = emulator.community()

    def info(row, name, expect, **args):
        args.setdefault("group_id", group)
        return Case(row, "tim_topic_info", name, args, expect, count=len(expect) if isinstance(expect, list) else 1)

    cases = [
        Case("input-wrong-type/tim_topic_info", "tim_topic_info", "type text options",
             dict(group_id=[group], topic_ids=[group + "@TOPIC#_a", {"a": 1}], topic_names=[True], from_account=["bob"],
                  identifier={"a": 1}, base_url=["http://127.0.0.1:9"], ca_path={"a": 1}),
             [must_be_text("group_id", "list"), must_be_text("topic_ids[1]"), must_be_text("topic_names[0]", "boolean"),
              must_be_text("from_account", "list"), must_be_text("identifier"), must_be_text("base_url", "list"),
              must_be_text("ca_path")], count=7),
        info("input-wrong-type/tim_topic_info", "type topic_ids", "topic_ids", topic_ids={"a": 1}),
        info("input-wrong-type/tim_topic_info", "type fields", "fields", fields="topic_name,colour"),
        info("input-wrong-type/tim_topic_info", "type concurrency", "concurrency", concurrency="lots"),
        info("input-bad-number/tim_topic_info", "numbers out of range",
             ["timeout must be more than 0 seconds, not -1", "rate_limit must be 0 (no limit) or more, not -1"],
             timeout=-1, rate_limit=-1),
        info("input-unknown-keys/tim_topic_info", "misspelt option", "topic_name", topic_name="a"),
    ]
    run_cases(matrix, emulator, cases)


# --- the values just inside the limits are written, and read back exactly -------------------------


def at_limit_topics():
    """8 topics: every limited field at its limit and one byte under, in 1- to 4-byte characters."""
    topics = []
    for width in sorted(CHARS):
        for delta in (-1, 0):
            topic = dict((option, utf8(limit + delta, width)) for option, _api, limit in LIMITS)
            topic["topic_name"] = utf8(30 + delta, width, filler=u"b" if delta else u"a")
            topics.append(topic)
    return topics


def assert_held(emulator, group, topics):
    """Each topic is held once, every given field byte for byte. Returns the number of values checked."""
    held = dict((topic["TopicName"], topic) for topic in emulator.rest.topics(group))
    checked = 0
    for topic in topics:
        current = held[topic["topic_name"]]
        for option, api, _limit in LIMITS:
            if option in topic:
                assert current[api].encode("utf-8") == topic[option].encode("utf-8"), (option, topic["topic_name"])
                checked += 1
        if topic.get("topic_id"):
            assert current["TopicId"] == topic["topic_id"]
            checked += 1
    return checked


def test_values_at_the_limits_are_accepted_and_kept_exactly(matrix, emulator, tmp_path):
    group, imported, crowded, from_file = [emulator.community() for _number in range(4)]
    for number in range(150):
        emulator.rest.create_topic(crowded, "old-%03d" % number)
    topics = at_limit_topics()
    ids = []
    for target in (group, imported):
        prefix = target + "@TOPIC#_"
        ids.append([dict(topic_name="id-96", topic_id=prefix + "x" * (96 - len(prefix))),
                    dict(topic_name="id-edges", topic_id=prefix + " printable ~edges!")])
    padding = MAX_SRC_BYTES - len(json.dumps([dict(topic_name="from a 10 MiB file")]))
    src = tmp_path / "exactly-10-MiB.json"
    src.write_text(json.dumps([dict(topic_name="from a 10 MiB file")]) + " " * padding)
    assert src.stat().st_size == MAX_SRC_BYTES
    play = matrix.play([
        {"name": "at the limits", "tim.chat.tim_topic": dict(group_id=group, topics=topics + ids[0])},
        {"name": "import at the limits", "tim.chat.tim_topic_import": dict(group_id=imported, topics=topics + ids[1])},
        {"name": "up to 200", "tim.chat.tim_topic": dict(
            group_id=crowded, topics=[dict(topic_name="new-%02d" % number) for number in range(50)])},
        {"name": "a 10 MiB src", "tim.chat.tim_topic_import": dict(group_id=from_file, src=str(src))},
    ], emulator)
    for name in ("at the limits", "import at the limits", "up to 200", "a 10 MiB src"):
        assert not play.task(name)["failed"], play.task(name)["msg"]
    utf8_values = assert_held(emulator, group, topics) + assert_held(emulator, imported, topics)
    id_values = assert_held(emulator, group, ids[0]) + assert_held(emulator, imported, ids[1])
    assert len(emulator.rest.topics(crowded)) == 200
    assert [topic["TopicName"] for topic in emulator.rest.topics(from_file)] == ["from a 10 MiB file"]
    matrix.row("input-at-limits-accepted", faults_injected=0, writes_verified=utf8_values + id_values + 50 + 1,
               result="converged", utf8_values=utf8_values, ids=id_values, topics_to_200=50, src_10mib=1)

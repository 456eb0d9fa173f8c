# -*- coding: utf-8 -*-
"""Unit tests of the permission-group kinds: permission names and bits, batches, topics named through the run."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.tim.chat.plugins.module_utils._change import CREATE, Change, Declaration, Later
from ansible_collections.tim.chat.plugins.module_utils._engine import _jobs, validation_problems
from ansible_collections.tim.chat.plugins.module_utils._permission import (
    COMMUNITY_PERMISSIONS,
    PERMISSION_GROUP,
    TOPIC_PERMISSION,
    TOPIC_PERMISSIONS,
)

GROUP = "@TGS#_perms"


def test_names_and_bits_follow_the_overview_page():
    assert COMMUNITY_PERMISSIONS.value(["manage_group_info", "manage_permission_group_info"]) == 5  # the page's 101
    assert COMMUNITY_PERMISSIONS.value(COMMUNITY_PERMISSIONS.names) == 2047
    assert TOPIC_PERMISSIONS.value(TOPIC_PERMISSIONS.names) == 127
    assert TOPIC_PERMISSIONS.value(["get_history_message"]) == 16 and TOPIC_PERMISSIONS.value(["send_message"]) == 8
    assert COMMUNITY_PERMISSIONS.of(3) == ["manage_group_info", "manage_group_member"]


def test_undefined_bits_read_are_named_so_that_a_difference_shows():
    assert TOPIC_PERMISSIONS.of(1234) == ["manage_topic_permission", "get_history_message", "at_all", "bit_7",
                                          "bit_10"]


def test_names_are_compared_once_each_in_bit_order():
    assert COMMUNITY_PERMISSIONS.canonical(["send_message", "manage_group_info", "send_message"]) == [
        "manage_group_info", "send_message"]


def test_an_unknown_name_is_refused_listing_the_valid_ones():
    declaration = Declaration(PERMISSION_GROUP, GROUP, [dict(name="Mods", permissions=["send_message", "fly"])])
    problems = validation_problems(declaration)
    assert len(problems) == 1
    assert "permission_groups[0] permission group 'Mods': unknown community permission fly; the valid ones are " \
           "manage_group_info, manage_group_member" in problems[0]
    assert "bit_" not in problems[0]
    declaration = Declaration(TOPIC_PERMISSION, (GROUP, "@PMG#_x"),
                              [dict(topic_name="General", permissions=["ban_member"])])
    assert "unknown topic permission ban_member" in validation_problems(declaration)[0]


@pytest.mark.parametrize("permission_group_id, problem", [
    ("@PMG#_mods", None),
    ("mods", "must start with '@PMG#_'"),
    (u"@PMG#_caf\u00e9", "printable ASCII"),
])
def test_custom_permission_group_ids(permission_group_id, problem):
    found = PERMISSION_GROUP.id_problem(GROUP, permission_group_id)
    assert found is None if problem is None else problem in found


def test_an_id_of_the_servers_form_cannot_be_chosen_and_is_found_by_name_when_adopted():
    wanted = dict(permission_group_id="@PMG#_@PMG#cM2", name="Mods")
    assert "cannot be chosen" in PERMISSION_GROUP.creation_problem(GROUP, wanted)
    assert PERMISSION_GROUP.adopt(GROUP, wanted) == dict(name="Mods")


def test_a_created_resource_shows_the_names_and_the_integer():
    declaration = Declaration(PERMISSION_GROUP, GROUP, [])
    change = Change(declaration, CREATE, PERMISSION_GROUP.canonical_item(
        dict(name="Mods", permissions=["send_message", "mute_member"])))
    change.done, change.new_id = True, "@PMG#_@PMG#cM2"
    assert change.resource() == dict(permission_group_id="@PMG#_@PMG#cM2", name="Mods",
                                     permissions=["mute_member", "send_message"], permission_value=96)
    assert change.create_body() == dict(PermissionGroupName="Mods", Permission=96)


def test_a_later_id_is_the_created_resources_once_written():
    topics = Declaration(TOPIC_PERMISSION, (GROUP, "@PMG#_x"), [])
    topic = Change(topics, CREATE, dict(topic_name="News"))
    later = Later(topic)
    assert str(later) == "new topic permission 'News'" and later.value is None
    topic.new_id = GROUP + "@TOPIC#_@TOPIC#cNEW"
    assert later.value == str(later) == GROUP + "@TOPIC#_@TOPIC#cNEW"
    permission = Change(topics, CREATE, dict(topic_id=later, topic_name="News", permissions=["at_all"]))
    assert permission.create_body() == dict(TopicId=GROUP + "@TOPIC#_@TOPIC#cNEW", Permission=64)


def test_batched_kinds_are_written_up_to_their_batch_per_call_and_scope():
    first = Declaration(TOPIC_PERMISSION, (GROUP, "@PMG#_a"), [])
    second = Declaration(TOPIC_PERMISSION, (GROUP, "@PMG#_b"), [])
    changes = [Change(first, CREATE, dict(topic_id="t%d" % number)) for number in range(120)]
    changes += [Change(second, CREATE, dict(topic_id="u%d" % number)) for number in range(3)]
    jobs = _jobs(changes)
    assert [len(job) for job in jobs] == [50, 50, 20, 3]
    assert all(len(set(change.declaration for change in job)) == 1 for job in jobs)


def test_a_member_account_has_at_most_32_bytes():
    from ansible_collections.tim.chat.plugins.module_utils._permission import MEMBER
    declaration = Declaration(MEMBER, (GROUP, "@PMG#_x"), [dict(member_account="a" * 32), dict(member_account="b" * 33)])
    problems = validation_problems(declaration)
    assert problems == ["members[1] member 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb': member_account is 33 bytes, and an "
                        "account (UserID) has at most 32"]

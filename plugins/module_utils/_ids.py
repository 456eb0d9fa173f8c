# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the ID rules of communities and topics: prefixes, custom parts, and the forms only the server assigns.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._validation import byte_length

COMMUNITY_PREFIX = "@TGS#_"
ASSIGNED_COMMUNITY_PREFIX = "@TGS#_@TGS#"
GROUP_ID_MAX_BYTES = 47  # "less than 48 bytes" (group-system.md, custom group IDs)
TOPIC_MARK = "@TOPIC#_"
ASSIGNED_TOPIC_MARK = "@TOPIC#_@TOPIC#"
TOPIC_ID_MAX_BYTES = 96


def printable_ascii_problem(text):
    bad = [char for char in text if not 0x20 <= ord(char) <= 0x7E]
    return "must be printable ASCII (0x20-0x7e); %r is not" % bad[0] if bad else None


def community_problem(group_id):
    if not group_id.startswith(COMMUNITY_PREFIX):
        return "group_id '%s' is not a community: community group IDs start with '%s'" % (group_id, COMMUNITY_PREFIX)
    return None


def is_assigned_group_id(group_id):
    return (group_id or "").startswith(ASSIGNED_COMMUNITY_PREFIX)


def custom_group_id_problem(group_id):
    """Why ``group_id`` (a community's ID) cannot be chosen when creating the community, or None."""
    custom = group_id[len(COMMUNITY_PREFIX):]
    if not custom:
        return "the custom part after '%s' is empty" % COMMUNITY_PREFIX
    problem = printable_ascii_problem(custom)
    if problem:
        return "the custom part of group_id " + problem
    if byte_length(group_id) > GROUP_ID_MAX_BYTES:
        return "group_id is %d bytes, and a custom group ID must be less than 48" % byte_length(group_id)
    return None


def is_assigned_topic_id(topic_id):
    return ASSIGNED_TOPIC_MARK in (topic_id or "")


def custom_topic_id_problem(group_id, topic_id):
    """Why ``topic_id`` (which starts with the group's topic prefix) cannot be created as a custom ID, or None."""
    custom = topic_id[len(group_id + TOPIC_MARK):]
    if not custom:
        return "the custom part after '%s' is empty" % (group_id + TOPIC_MARK)
    if custom.startswith("@TOPIC#"):
        return "the custom part must not make the ID look server-assigned ('@TOPIC#_@TOPIC#')"
    if COMMUNITY_PREFIX in custom or ASSIGNED_TOPIC_MARK in custom:
        return "the custom part must not contain '@TGS#_' or '@TOPIC#_@TOPIC#'"
    problem = printable_ascii_problem(custom)
    if problem:
        return "the custom part " + problem
    if byte_length(topic_id) > TOPIC_ID_MAX_BYTES:
        return "the whole topic ID is %d bytes, more than %d" % (byte_length(topic_id), TOPIC_ID_MAX_BYTES)
    return None

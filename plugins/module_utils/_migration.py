# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import topics into a community (tim_topic_import): load, rebase ids, skip what exists, import.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import numbers
import os

from ansible_collections.tim.chat.plugins.module_utils._api import TimApiError, run_concurrently, summarize_failures
from ansible_collections.tim.chat.plugins.module_utils._community import import_topic, modify_topic, read_topics
from ansible_collections.tim.chat.plugins.module_utils._topic import (
    MAX_TOPICS_PER_COMMUNITY,
    PROFILE_FIELDS,
    READ_ONLY_KEYS,
    STRING_TYPES,
    TOPIC_MARK,
    TopicIndex,
    DuplicateName,
    custom_topic_id_error,
    is_server_assigned,
    label,
    validate_group_id,
    validate_wanted,
)

MAX_SRC_BYTES = 10 * 1024 * 1024
STRING_KEYS = ("topic_id", "from_account") + tuple(option for option, _api, _limit in PROFILE_FIELDS)
IMPORT_KEYS = STRING_KEYS + ("create_time", "mute_all_member") + READ_ONLY_KEYS


def load_topics_file(path):
    """The topic list in a JSON or YAML file (a list, or a mapping with a ``topics`` list)."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ValueError("cannot read src %s: %s" % (path, exc.strerror))
    if size > MAX_SRC_BYTES:
        raise ValueError("src %s is %d bytes, more than the %d allowed" % (path, size, MAX_SRC_BYTES))
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Replacing the bad bytes would import names that are not the source's ("caf\ufffd").
        raise ValueError("src %s is not UTF-8 text (byte %d is 0x%02x): save it as UTF-8"
                         % (path, exc.start, bytearray(raw[exc.start:exc.start + 1])[0]))
    try:
        data = json.loads(text)
    except ValueError:
        data = _load_yaml(path, text)
    if isinstance(data, dict) and "topics" in data:
        data = data["topics"]
    if not isinstance(data, list):
        raise ValueError("src %s must hold a list of topics or a mapping with a 'topics' list" % path)
    problems = []
    for index, item in enumerate(data):
        where = label(item, index) if isinstance(item, dict) else "topics[%d]" % index
        problems.extend("src %s: %s: %s" % (path, where, problem) for problem in item_problems(item))
    if problems:
        raise ValueError("; ".join(problems))
    return [dict((key, value) for key, value in item.items() if value is not None) for item in data]


def _load_yaml(path, text):
    try:
        import yaml
    except ImportError:
        raise ValueError("src %s is not JSON, and PyYAML is not installed to read it as YAML" % path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError("src %s is neither valid JSON nor valid YAML: %s" % (path, exc))


def item_problems(item):
    """Type problems of one topic read from a file (the module's argument spec checks ``topics``)."""
    if not isinstance(item, dict):
        return ["must be a mapping, not %s" % type(item).__name__]
    problems = ["unknown key '%s' (known: %s)" % (key, ", ".join(IMPORT_KEYS)) for key in item if key not in IMPORT_KEYS]
    if not item.get("topic_name"):
        problems.append("topic_name is required")
    problems.extend("%s must be a string" % key for key in STRING_KEYS
                    if item.get(key) is not None and not isinstance(item[key], STRING_TYPES))
    create_time = item.get("create_time")
    if create_time is not None and (isinstance(create_time, bool) or not isinstance(create_time, numbers.Integral)):
        problems.append("create_time must be an integer (unix seconds)")
    if item.get("mute_all_member") is not None and not isinstance(item["mute_all_member"], bool):
        problems.append("mute_all_member must be true or false")
    return problems


def rebase(group_id, source):
    """The topic to import into ``group_id``: its id moved onto the group, or dropped if server-assigned.

    An id that is no topic id at all (no '@TOPIC#_') is kept as it is, for validation to reject.
    """
    wanted = dict((key, value) for key, value in source.items() if key not in READ_ONLY_KEYS)
    source_id = wanted.get("topic_id")
    position = source_id.find(TOPIC_MARK) if source_id else -1
    if position >= 0:
        if is_server_assigned(source_id):
            wanted.pop("topic_id")
        else:
            wanted["topic_id"] = group_id + source_id[position:]
    return wanted


class ImportOutcome:
    def __init__(self):
        self.imported = []
        self.skipped = []
        self.failures = []

    def result(self):
        # Not "skipped": Ansible reads a true "skipped" key of a result as "the task was skipped".
        return dict(changed=bool(self.imported), imported=self.imported, skipped_topics=self.skipped)

    def failure_message(self, group_id):
        return "%d topic(s) could not be imported into group %s (%d imported; a rerun imports the missing ones): %s" % (
            len(self.failures), group_id, len(self.imported), summarize_failures(self.failures)
        )


def import_topics(client, group_id, source, on_existing, check_mode):
    """Import what is not in the community yet. ValueError/TimApiError before any write."""
    problem = validate_group_id(group_id)
    if problem:
        raise ValueError(problem)
    pairs = [(item.get("topic_id"), rebase(group_id, item)) for item in source]
    wanted_list = [wanted for _source_id, wanted in pairs]
    problems = validate_wanted(group_id, wanted_list, "present")
    for index, wanted in enumerate(wanted_list):
        if wanted.get("topic_id"):
            error = custom_topic_id_error(group_id, wanted["topic_id"])
            if error:
                problems.append("%s: %s" % (label(wanted, index), error))
    if problems:
        raise ValueError("; ".join(problems))

    existing, _missing = read_topics(client, group_id)
    index = TopicIndex(existing)
    outcome = ImportOutcome()
    todo = []
    for source_id, wanted in pairs:
        # Already there by id, else by name: a migration must not add a second topic of the same name.
        current, how = index.by_id.get(wanted.get("topic_id")), "ID"
        if current is None:
            try:
                current, how = index.find(dict(topic_name=wanted["topic_name"])), "name"
            except DuplicateName as exc:
                raise ValueError("%s: %s" % (label(wanted), exc))
        if current is not None:
            outcome.skipped.append(dict(source_id=source_id, topic_id=current["topic_id"],
                                        topic_name=wanted["topic_name"],
                                        reason="a topic with this %s is already in the community" % how))
        else:
            todo.append((source_id, wanted))
    if on_existing == "fail" and outcome.skipped:
        raise ValueError("%d topic(s) are already in the community (on_existing=fail): %s" % (
            len(outcome.skipped), ", ".join("'%s' (%s)" % (skip["topic_name"], skip["topic_id"])
                                            for skip in outcome.skipped)))
    if len(existing) + len(todo) > MAX_TOPICS_PER_COMMUNITY:
        raise ValueError("the community would hold %d topics, more than the %d allowed (%d exist, %d to import)"
                         % (len(existing) + len(todo), MAX_TOPICS_PER_COMMUNITY, len(existing), len(todo)))
    if check_mode:
        outcome.imported = [dict(source_id=source_id, topic_id=wanted.get("topic_id"), topic_name=wanted["topic_name"])
                            for source_id, wanted in todo]
        return outcome

    mutes = []
    for (source_id, wanted), topic_id, error in run_concurrently(
        lambda job: import_topic(client, group_id, job[1]), todo, client.concurrency
    ):
        if error is not None:
            if not isinstance(error, TimApiError):
                raise error
            outcome.failures.append((label(wanted), error))
            continue
        outcome.imported.append(dict(source_id=source_id, topic_id=topic_id, topic_name=wanted["topic_name"]))
        if wanted.get("mute_all_member"):
            mutes.append((topic_id, wanted))
    for (topic_id, wanted), _result, error in run_concurrently(
        lambda job: modify_topic(client, group_id, job[0], dict(mute_all_member=True), job[1].get("from_account")),
        mutes, client.concurrency
    ):
        if error is not None:
            # A rerun skips this topic (it exists now), so it does not converge by itself.
            outcome.failures.append(("%s, imported but not muted (a rerun skips it: set mute_all_member with "
                                     "tim.chat.tim_topic)" % label(dict(wanted, topic_id=topic_id)), error))
    return outcome

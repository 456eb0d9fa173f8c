# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring the topics of one community to a declared state: read once, plan, write concurrently.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._api import (
    TOPIC_SERVICE,
    TimApiError,
    run_concurrently,
    summarize_failures,
)
from ansible_collections.tim.chat.plugins.module_utils._community import (
    create_topic,
    destroy_topics,
    modify_topic,
    read_topics,
)
from ansible_collections.tim.chat.plugins.module_utils._topic import (
    COMPARED_OPTIONS,
    label,
    plan_changes,
    topic_key,
)


class Outcome:
    """What a converge run did (or, in check mode, would do), and what failed."""

    def __init__(self, plan):
        self.plan = plan
        self.created_ids = {}  # id(wanted) -> new topic id
        self.modified = []
        self.deleted = []
        self.failures = []  # (topic label, TimApiError)

    @property
    def changed(self):
        return bool(self.created_ids or self.modified or self.deleted)

    def topics(self):
        modified = dict((topic_id, changes) for topic_id, changes, _from in self.plan.modifies
                        if topic_id in self.modified)
        result = []
        for wanted, current in self.plan.matches:
            if current is None:
                if id(wanted) not in self.created_ids:
                    continue
                topic = dict((option, wanted[option]) for option in COMPARED_OPTIONS if wanted.get(option) is not None)
                topic["topic_id"] = self.created_ids[id(wanted)]
            else:
                topic = dict(current)
                for option, (_before, after) in modified.get(current["topic_id"], {}).items():
                    topic[option] = after
            result.append(topic)
        return result

    def result(self):
        return dict(
            changed=self.changed,
            topics=self.topics(),
            created=list(self.created_ids.values()),
            modified=list(self.modified),
            deleted=list(self.deleted),
            diff=self.plan.diff(),
        )

    def failure_message(self, group_id):
        done = "created %d, modified %d, deleted %d" % (len(self.created_ids), len(self.modified), len(self.deleted))
        return "%d topic(s) of group %s could not be written (%s; a rerun converges): %s" % (
            len(self.failures), group_id, done, summarize_failures(self.failures))

    def failed_topics(self):
        return [dict(topic=where, **error.as_result()) for where, error in self.failures]


def converge(client, group_id, wanted_topics, state, purge, check_mode):
    """Read the community once, plan, and (unless ``check_mode``) write. Returns an Outcome.

    Raises TimApiError when the read fails and ValueError when the plan is impossible; both
    happen before any write.
    """
    existing, _missing = read_topics(client, group_id)
    plan = plan_changes(group_id, wanted_topics, existing, state, purge)
    outcome = Outcome(plan)
    if check_mode:
        outcome.created_ids = dict((id(wanted), topic_key(wanted)) for wanted in plan.creates)
        outcome.modified = [topic_id for topic_id, _changes, _from in plan.modifies]
        outcome.deleted = [topic["topic_id"] for topic in plan.deletes]
        return outcome

    # Deletes first: a purge makes room under the 200-topic limit for what is created next.
    _delete(client, group_id, plan.deletes, outcome)
    muted_new = []
    for wanted, topic_id, error in run_concurrently(
        lambda wanted: create_topic(client, group_id, wanted), plan.creates, client.concurrency
    ):
        if error is not None:
            outcome.failures.append((label(wanted), _as_api_error(error)))
            continue
        outcome.created_ids[id(wanted)] = topic_id
        if wanted.get("mute_all_member"):
            # create_topic cannot mute: a muted topic is created, then modified.
            muted_new.append((topic_id, dict(mute_all_member=True), wanted.get("from_account"), wanted))
    modifications = [(topic_id, dict((option, new) for option, (_old, new) in changes.items()), from_account, None)
                     for topic_id, changes, from_account in plan.modifies] + muted_new
    for (topic_id, changes, from_account, new_topic), _result, error in run_concurrently(
        lambda job: modify_topic(client, group_id, job[0], job[1], job[2]), modifications, client.concurrency
    ):
        if error is not None:
            outcome.failures.append(("topic %s" % topic_id, _as_api_error(error)))
        elif new_topic is None:
            outcome.modified.append(topic_id)
    return outcome


def _delete(client, group_id, topics, outcome):
    if not topics:
        return
    ids = [topic["topic_id"] for topic in topics]
    try:
        failed = destroy_topics(client, group_id, ids)
    except TimApiError as exc:
        outcome.failures.extend((label(topic), exc) for topic in topics)
        return
    for topic in topics:
        if topic["topic_id"] in failed:
            code, info = failed[topic["topic_id"]]
            outcome.failures.append((label(topic), TimApiError("%s/destroy_topic" % TOPIC_SERVICE, code, info)))
        else:
            outcome.deleted.append(topic["topic_id"])


def _as_api_error(error):
    if isinstance(error, TimApiError):
        return error
    raise error

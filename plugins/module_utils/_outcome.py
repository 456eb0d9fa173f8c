# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the outcome of a run: what was done (in check mode, would be done) and what failed, derived from the change
records, and the messages that name them per resource.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._change import (
    CREATE,
    DELETE,
    IMPORT,
    MODIFY,
    PAST,
    SKIP,
    WRITES,
    Change,
    declared,
)
from ansible_collections.tim.chat.plugins.module_utils._errors import summarize_failures
from ansible_collections.tim.chat.plugins.module_utils._validation import unique


class Outcome:
    """What a run did (in check mode: would do), and what failed; derived from the change records."""

    def __init__(self, declarations, refusal=None, error=None):
        self.declarations = declarations
        self.refusal = refusal
        self.error = error
        self.every = [nested for declaration in declarations for nested in declaration.tree()]
        self.changes = [change for declaration in self.every for change in declaration.changes]

    def done(self, *actions):
        return [change for change in self.changes if change.action in actions and change.done]

    @property
    def changed(self):
        return bool(self.done(*WRITES))

    def failures(self):
        """[(label, TimApiError)] of every write that failed, the settings after a creation included."""
        failures = []
        for change in self.changes:
            if change.error is not None:
                label = change.label() if change.action != MODIFY else "%s %s" % (change.kind.name, change.resource_id)
                failures.append((label, change.error))
            if change.follow_up_error is not None:
                failures.append((self._follow_up_label(change), change.follow_up_error))
        return failures

    @staticmethod
    def _follow_up_label(change):
        if change.action == CREATE:
            return "%s %s" % (change.kind.name, change.resource_id)
        words = " and ".join(field.applied for field in change.follow_up_fields())
        return "%s, imported but not %s (a rerun skips it: set %s with tim.chat.tim_%s)" % (
            change.label(), words, ", ".join(field.option for field in change.follow_up_fields()), change.kind.name)

    def ids(self, *actions):
        """IDs of the resources changed by ``actions``; in check mode a new resource without a chosen ID is
        named "new KIND 'NAME'"."""
        return [change.resource_id or change.planned_id() for change in self.done(*actions)]

    def by_kind(self, *actions):
        """{kind plural: [{name, id}]} of the resources changed by ``actions``."""
        found = {}
        for change in self.done(*actions):
            entry = dict(name=change.name(), id=change.resource_id or change.planned_id())
            if change.declaration.parent is not None:
                entry["parent_id"] = _planned_scope(change.declaration)
            found.setdefault(change.kind.plural, []).append(entry)
        return found

    def imported(self):
        return [self._moved(change) for change in self.done(IMPORT)]

    def skipped(self):
        """The items already in their scope when importing, and why."""
        skipped = []
        for change in self.changes:
            if change.action == SKIP:
                how = "ID" if change.wanted.get(change.kind.id_option) == change.current[change.kind.id_option] else "name"
                skipped.append(dict(self._moved(change), reason="a %s with this %s is already in the community"
                                    % (change.kind.name, how)))
        return skipped

    @staticmethod
    def _moved(change):
        kind = change.kind
        return {"source_id": (change.origin or {}).get(kind.id_option), kind.id_option: change.resource_id,
                kind.name_option: change.wanted.get(kind.name_option)}

    def warnings(self):
        return [warning for declaration in self.every for warning in warnings(declaration)]

    def result(self):
        """The keys every module that writes returns."""
        return dict(
            changed=self.changed,
            diff=[change.diff() for change in self.done(*WRITES)],
            changes=[change.summary() for change in self.done(*WRITES)],
        )

    def declared(self, declaration):
        return declared(declaration)

    def failure(self):
        """(message, first error, extra result keys) when the run failed, else None."""
        if self.refusal:
            return self.refusal, self.error, dict(changed=False)
        failures = self.failures()
        blocked = [declaration for declaration in self.every if declaration.blocked is not None]
        if not failures and not blocked:
            return None
        kind = self.declarations[0].kind
        failed = [dict(error.as_result(), **{kind.name: label}) for label, error in failures]
        if len(self.every) == 1:
            return self._failure_of_one(failures), failures[0][1], {"failed_" + kind.plural: failed}
        return self._failure_of_many(failures, blocked), failures[0][1] if failures else None, dict(failed=failed)

    def _failure_of_one(self, failures):
        declaration = self.declarations[0]
        kind = declaration.kind
        if declaration.importing:
            return "%d %s(s) could not be imported into %s (%d imported; a rerun imports the missing ones): %s" % (
                len(failures), kind.name, declaration.where(), len(self.done(IMPORT)), summarize_failures(failures))
        return "%d %s(s) of %s could not be written (created %d, modified %d, deleted %d; a rerun converges): %s" % (
            len(failures), kind.name, declaration.where(), len(self.done(CREATE)), len(self.done(MODIFY)),
            len(self.done(DELETE)), summarize_failures(failures))

    def _failure_of_many(self, failures, blocked):
        """Per resource at the top: what was done in it and what failed."""
        parts = []
        for declaration in self.declarations:
            for change in declaration.changes:
                subtree = [change] + [nested for child in change.children for nested in _changes_below(child)]
                failed = [(nested.label(), nested.error or nested.follow_up_error) for nested in subtree
                          if nested.error is not None or nested.follow_up_error is not None]
                stopped = [child for child in change.children if child.blocked is not None]
                if not failed and not stopped:
                    continue
                done = _count_done(subtree)
                part = "%s: %s" % (change.label(), done or "nothing written")
                if failed:
                    part += "; failed: %s" % summarize_failures(failed)
                for child in stopped:
                    part += "; its %s were not written (%s)" % (child.kind.words, _why_blocked(child))
                parts.append(part)
        return "%d write(s) failed; what was done is kept and a rerun converges: %s" % (
            len(failures) + len(blocked), " | ".join(parts))


def _planned_scope(declaration):
    """The scope of a nested declaration; in check mode, a parent the server is to name is named as its own entry
    is ("new community 'NAME'"), and a scope that is a pair stays a pair (community, "new permission group 'NAME'")."""
    parent = declaration.parent
    if declaration.scope is not None or parent is None:
        return declaration.scope
    return declaration.child.scope(_planned_scope(parent.declaration), parent.resource_id or parent.planned_id())


def _changes_below(declaration):
    return [nested for child in declaration.tree() for nested in child.changes]


def _count_done(changes):
    """What ``changes`` did, e.g. "created 1 community and 2 topics, modified 1 topic"."""
    phrases = []
    for action in WRITES:
        counts = []
        for kind in unique(change.kind for change in changes):
            number = len([change for change in changes if change.kind is kind and change.action == action
                          and change.done])
            if number:
                counts.append("%d %s" % (number, kind.name if number == 1 else kind.words))
        if counts:
            phrases.append("%s %s" % (PAST[action], " and ".join(counts)))
    return ", ".join(phrases)


def _why_blocked(declaration):
    if isinstance(declaration.blocked, Change):
        return "its %s could not be created" % declaration.blocked.kind.name
    return str(declaration.blocked)


def warnings(declaration):
    """What an item asks for that the run leaves as it is: a setting only creation makes, which differs."""
    found = []
    for change in declaration.changes:
        if change.current is None:
            continue
        for field in change.kind.fields:
            value = change.wanted.get(field.option)
            if field.reported and value is not None and change.current.get(field.option) != value:
                found.append("%s has %s '%s', not '%s' as given: only creation sets it, so it is left as it is"
                             % (change.label(), field.option, change.current.get(field.option), value))
    return found

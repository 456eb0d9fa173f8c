# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the records of a run: what it declares for each scope (Declaration), and the change of each resource
(Change), from which ``changed``, the API bodies, the diff, the returned resource and the summary are derived.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


# What a change does. The past tense names it in results.
CREATE, IMPORT, MODIFY, DELETE, KEEP, SKIP = "create", "import", "modify", "delete", "keep", "skip"
PAST = {CREATE: "created", IMPORT: "imported", MODIFY: "modified", DELETE: "deleted"}
WRITES = (CREATE, IMPORT, MODIFY, DELETE)


class Declaration:
    """What a module run declares for one scope (e.g. the topics of one community). Options left out of an item
    (None) are left alone.

    ``importing``: create what is missing with the kind's import call, match by ID and else by name, and skip
    (or, ``on_existing="fail"``, refuse) what exists; ``imported``: items to import that way after ``items``, which
    are converged (a community's topics and the topics imported into it, in one read). ``adopting`` (implied by ``importing``): items may come from
    another scope or app (the output of an info module): they are moved onto the scope (``Kind.adopt``) and an ID
    given as it was is tried first. ``parent``: for a nested kind, the Change of the resource it belongs to, whose
    ID gives the scope (None until a new parent is created); ``child``: the Child it is declared by; ``owner``: how
    the parent's item is named in messages.
    """

    def __init__(self, kind, scope, items, state="present", purge=False, importing=False, on_existing="skip",
                 listed=True, adopting=False, child=None, owner=None, position=None, imported=()):
        self.kind = kind
        self.given = [dict((key, value) for key, value in item.items() if value is not None)
                      for item in list(items) + list(imported)]
        self.first_import = len(self.given) - len(imported)
        self.state = state
        self.purge = purge
        self.importing = importing
        self.adopting = adopting or importing or bool(imported)
        self.on_existing = on_existing
        self.listed = listed
        self.child = child
        self.owner = owner
        self.position = position  # the place of the parent's item in its declaration
        self.parent = None
        self.blocked = None  # why a nested declaration was not written: its parent's Change, or an InvalidInput
        self.known = {}  # what Kind.prepare learnt around it, for Kind.annotate
        self.changes = []
        self.existing = []
        self.children = []
        self.scope = None
        self.resolve(scope)

    def resolve(self, scope):
        """Set the scope, and move adopted items onto it (None: a new parent whose ID is not known yet)."""
        self.scope = scope
        items = [self.kind.adopt(scope, item) for item in self.given] if self.adopting else self.given
        self.items = [self.kind.canonical_item(item) for item in items]

    def imports(self, position):
        """Whether the item at ``position`` is imported (created with the import call, skipped when it exists)."""
        return self.importing or position >= self.first_import

    def state_of(self, item):
        """An item's own ``state``, else the declaration's."""
        return item.get("state") or self.state

    def where(self):
        return self.kind.scope_label(self.scope) if self.scope is not None else "a new %s" % self.kind.scope_noun

    def label(self, item, index):
        if index >= self.first_import and not self.importing:
            return "imported " + self.kind.label(item, index - self.first_import)
        return self.kind.label(item, index if self.listed else None)

    def place(self, index):
        """Where an item stands: "topics[3]", or "imported topics[0]"."""
        if index >= self.first_import and not self.importing:
            return "imported %s[%d]" % (self.kind.plural, index - self.first_import)
        return "%s[%d]" % (self.kind.plural, index)

    def creatable(self, item):
        """``item`` as it is created: when adopting, an ID of the server's form is left to the server."""
        if self.adopting and self.kind.is_assigned(item.get(self.kind.id_option)):
            return dict((key, value) for key, value in item.items() if key != self.kind.id_option)
        return item

    def tree(self):
        """This declaration and every declaration nested in it, parents first."""
        found = [self]
        for child in self.children:
            found.extend(child.tree())
        return found


class Later:
    """The ID of a resource that this run creates, known once it is written (a topic named by a permission group)."""

    def __init__(self, change):
        self.change = change

    @property
    def value(self):
        return self.change.resource_id

    def __str__(self):
        return self.value or self.change.planned_id()


def now(value):
    """``value``, or the ID a Later stands for."""
    return value.value if isinstance(value, Later) else value


class Change:
    """One resource's change: the single record from which ``changed``, the API body, the diff, the returned
    resource and the summary are all derived (community.docker's DifferenceTracker, per resource)."""

    def __init__(self, declaration, action, wanted=None, current=None, differences=(), origin=None):
        self.declaration = declaration
        self.kind = declaration.kind
        self.action = action
        self.wanted = wanted or {}
        self.current = current
        self.differences = list(differences)  # [(Field, before, after)]
        self.origin = origin  # the item as given, before it was adopted into the scope
        self.children = []  # the Declarations nested in this resource
        self.position = None  # the place of its item in the declaration (None: found by purge)
        self.follows = None  # the import change of the same resource, which this change applies after
        self.new_id = None
        self.error = None
        self.follow_up_error = None
        self.done = False

    @property
    def scope(self):
        return self.declaration.scope

    @property
    def changed(self):
        return self.action in WRITES

    @property
    def resource_id(self):
        if self.follows is not None:
            return self.follows.resource_id
        return self.new_id or (self.current or {}).get(self.kind.id_option) or now(self.wanted.get(self.kind.id_option))

    def planned_id(self):
        """The ID a check-mode run reports for a resource it would create ("new topic 'General'", for a Later)."""
        planned = self.wanted.get(self.kind.id_option)
        if isinstance(planned, Later):
            return str(planned)
        return planned or "new %s '%s'" % (self.kind.name, self.wanted.get(self.kind.name_option))

    def label(self):
        item = self.current or self.wanted
        return self.kind.label(dict(item, **{self.kind.id_option: self.new_id}) if self.new_id else item)

    def name(self):
        return (self.current or {}).get(self.kind.name_option, self.wanted.get(self.kind.name_option))

    # --- API bodies -----------------------------------------------------------------------------------

    def create_body(self):
        """The given fields that creation can set, and the ID when one is chosen."""
        body = {}
        if self.wanted.get(self.kind.id_option):
            body[self.kind.id_field.api] = now(self.wanted[self.kind.id_option])
        for field in self.kind.fields_for(self.action == IMPORT):
            if field.on_create and self.wanted.get(field.option) is not None:
                body[field.create_api] = field.to_api(self.wanted[field.option])
        return body

    def modify_body(self):
        """Only what differs, plus the given fields that are sent with every write."""
        return self._with_every_write(dict((field.api, field.to_api(after)) for field, _before, after in self.differences))

    def follow_up_body(self):
        """After a creation: the given fields that creation cannot set, unless they hold their empty value."""
        body = dict((field.api, field.to_api(self.wanted[field.option])) for field in self.follow_up_fields())
        return self._with_every_write(body) if body else {}

    def follow_up_fields(self):
        return [field for field in self.kind.fields_for(self.action == IMPORT)
                if not field.on_create and self.wanted.get(field.option) not in (None, field.empty)]

    def _with_every_write(self, body):
        for field in self.kind.fields:
            if field.every_write and self.wanted.get(field.option):
                body[field.api] = field.to_api(self.wanted[field.option])
        return body

    # --- what results show ----------------------------------------------------------------------------

    def compared_values(self, item):
        return dict((field.option, item[field.option]) for field in self.kind.fields
                    if field.compare and item.get(field.option) is not None)

    def resource(self):
        """The resource as it is after the run (in check mode, as it would be); None when it is gone or failed.
        Nested kinds that the item declared are listed under their option; those of a ``brief`` Child with only
        their ID, their name and the fields their item gives (a community's 200 topics: what was declared)."""
        if self.action == DELETE or self.action in (CREATE, IMPORT) and not self.done:
            return None
        if self.action in (CREATE, IMPORT) or self.declaration.child is not None and self.declaration.child.brief:
            resource = self.compared_values(self.wanted)
            if self.action == MODIFY and not self.done:
                resource.update((field.option, before) for field, before, _after in self.differences)
            resource[self.kind.id_option] = self.resource_id or self.planned_id()
            name = self.name() if self.action in (KEEP, MODIFY, SKIP) else self.wanted.get(self.kind.name_option)
            if name is not None:
                resource.setdefault(self.kind.name_option, name)
        else:
            resource = dict(self.current)
            if self.action == MODIFY and self.done:
                for field, _before, after in self.differences:
                    resource[field.option] = dict(resource.get(field.option) or {}, **after) if field.type == "dict" \
                        else after
        for nested in self.children:
            if nested.child.option in self.declaration.given[self.position] or nested.first_import < len(nested.given):
                resource[nested.child.option] = [nested.child.output(found) for found in declared(nested)]
        return self.kind.describe(resource)

    def diff(self):
        """One entry of the module's diff list, read by the default callback as a unified diff."""
        if self.action in (CREATE, IMPORT):
            before, after = {}, self.compared_values(self.wanted)
        elif self.action == DELETE:
            # What is lost: the name, and every field that is not empty.
            before = dict((field.option, self.current[field.option]) for field in self.kind.fields
                          if field.compare and field.option in self.current
                          and (self.current[field.option] != field.empty or field.option == self.kind.name_option))
            after = {}
        else:
            before = dict((field.option, value) for field, value, _after in self.differences)
            after = dict((field.option, value) for field, _before, value in self.differences)
        if self.action in (CREATE, IMPORT, DELETE) and not before and not after:
            # A kind without fields of its own (a member): its ID is what comes and goes.
            shown = {self.kind.id_option: self.resource_id or self.planned_id()}
            before, after = (shown, {}) if self.action == DELETE else ({}, shown)
        header = self.kind.header(self.current or self.wanted, self.resource_id)
        return dict(before_header=header, after_header=header, before=yaml_text(before), after=yaml_text(after))

    def summary(self):
        summary = dict(kind=self.kind.name, action=PAST[self.action], name=self.name(), id=self.resource_id)
        if self.declaration.parent is not None:
            summary["parent_id"] = self.scope
        return summary


def yaml_text(values):
    """``values`` as block YAML, one key a line, non-ASCII text kept as it is (JSON scalars are YAML)."""
    return "".join("%s: %s\n" % (key, json.dumps(values[key], ensure_ascii=False, sort_keys=True))
                   for key in sorted(values))


def declared(declaration):
    """The resources ``declaration`` names, as they are after the run, in input order (not those to be absent)."""
    resources = (change.resource() for change in declaration.changes
                 if change.wanted and declaration.state_of(change.wanted) == "present")
    return [resource for resource in resources if resource is not None]

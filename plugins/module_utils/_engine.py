# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the lifecycle of every resource kind: validate everything, read once, plan, write concurrently, one outcome.

A resource kind (``Kind``) is a declaration: its fields and API names, limits, ID rules, the kinds nested in it,
and its read, create, modify and delete calls. Every rule of the lifecycle (matching, comparison, check mode, the
re-check after a lost answer, settings that only a modify can make, the per-scope limit, nesting, the diff) is
written here once.
Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput, TimApiError, summarize_failures
from ansible_collections.tim.chat.plugins.module_utils._validation import byte_length, unique

# What a change does. The past tense names it in results.
CREATE, IMPORT, MODIFY, DELETE, KEEP, SKIP = "create", "import", "modify", "delete", "keep", "skip"
PAST = {CREATE: "created", IMPORT: "imported", MODIFY: "modified", DELETE: "deleted"}
WRITES = (CREATE, IMPORT, MODIFY, DELETE)


class Field:
    """One declared option of a resource kind and the API field behind it.

    ``type``: its argument-spec type; ``compare``: compared with the resource as read (a difference is a modify);
    ``on_create``: sent when the resource is created, else set by a modify right after (``applied`` is the word for
    it: "muted"); ``create_api``: its API name in the create call when that differs; ``every_write``: not compared
    but sent with every write of the resource (the account a write is made as); ``reported``: not compared, and a
    difference with the resource is reported as a warning (a setting only creation makes); ``empty``: its value when
    the API leaves it out; ``to_api``/``from_api``: value conversions; ``check``: a further rule, returning a problem
    or None; ``importing``: only meaningful when importing; ``canonical``: the one form of a value, which is what is
    compared and shown (the names of permissions in bit order, once each). A mapping (``type="dict"``) is compared
    key by key, for the keys given only.
    """

    def __init__(self, option, api, type="str", max_bytes=None, compare=True, on_create=True, empty="",
                 to_api=None, from_api=None, check=None, importing=False, applied=None, nonempty=False,
                 create_api=None, every_write=False, reported=False, elements=None, canonical=None):
        self.option = option
        self.api = api
        self.type = type
        self.max_bytes = max_bytes
        self.compare = compare and not every_write and not reported
        self.on_create = on_create
        self.empty = empty
        self.to_api = to_api or (lambda value: value)
        self.from_api = from_api or (lambda value: value)
        self.check = check
        self.importing = importing
        self.applied = applied or "set"
        self.nonempty = nonempty
        self.create_api = create_api or api
        self.every_write = every_write
        self.reported = reported
        self.elements = elements
        self.canonical = canonical or (lambda value: value)

    def problem(self, value):
        """Why ``value`` breaks this field's rules, or None (types were checked against the argument spec)."""
        if self.type == "list":
            return self.check(value) if self.check is not None else None
        if self.nonempty and not value.strip():
            return "%s must not be empty" % self.option
        if self.max_bytes is not None and byte_length(value) > self.max_bytes:
            return "%s is %d bytes in UTF-8, more than the %d allowed" % (self.option, byte_length(value), self.max_bytes)
        if self.check is not None:
            return self.check(value)
        return None

    def difference(self, before, after):
        """(before, after) of what differs, or None; a mapping only in the keys ``after`` gives."""
        if self.type == "dict":
            before = before or {}
            keys = [key for key in after if before.get(key, self.empty) != after[key]]
            if not keys:
                return None
            return dict((key, before.get(key, self.empty)) for key in keys), dict((key, after[key]) for key in keys)
        return None if before == after else (before, after)


class Child:
    """A kind nested in another: the option of a parent item that lists them, the option that purges the rest, the
    option that lists those to import, how a listed value becomes an item (``item``: members are listed as plain
    names), and whether its scope is the parent's ID alone or the pair (the parent's scope, its ID)."""

    def __init__(self, option, kind, purge=None, imports=None, item=None, output=None, scoped_pair=False, along=(),
                 elements="dict", states=False):
        self.option = option
        self.elements = elements  # how its items are listed: "dict", or "str" (members, by name)
        self.states = states  # whether each item may have its own state
        self.along = along  # options of the parent's item that make this kind read too, when it is not listed
        self.kind = kind
        self.purge = purge
        self.imports = imports
        self.item = item or (lambda value: value)
        self.output = output or (lambda resource: resource)  # how a resource is listed in its parent's result
        self.scoped_pair = scoped_pair

    def scope(self, parent_scope, parent_id):
        """The scope of the items nested in the parent ``parent_id`` (None while that is not known)."""
        if parent_id is None:
            return None
        return (parent_scope, parent_id) if self.scoped_pair else parent_id


class Kind:
    """A resource kind as a declaration. Subclasses set the attributes and implement the API calls."""

    name = None  # "topic"
    plural = None  # "topics", also the option that lists them and the key of results

    @property
    def words(self):
        """The plural in prose: "permission groups"."""
        return self.plural.replace("_", " ")
    id_field = None  # the Field of its ID
    name_option = None  # the option that finds it when no ID is given
    fields = ()  # the declared Fields besides the ID
    read_only_keys = ()  # keys its read returns that input may carry and that are ignored
    children = ()  # the Child kinds nested in it
    batch = None  # how many creations (and modifications) one call takes, for kinds written in batches
    limit = None  # how many one scope may hold
    scope_noun = None  # what a scope is: "community"

    @property
    def id_option(self):
        return self.id_field.option

    def fields_for(self, importing):
        return [field for field in self.fields if importing or not field.importing]

    def options(self, importing=False):
        """Argument spec of one resource: its ID, name and declared fields (the name required when importing)."""
        spec = dict((field.option, dict(type=field.type, **(dict(elements=field.elements) if field.elements else {})))
                    for field in self.fields_for(importing))
        spec[self.id_option] = dict(type="str")
        spec[self.name_option] = dict(type="str", required=importing)
        return spec

    def item_options(self, importing=False):
        """Argument spec of one item of a list of resources: ``options`` plus the keys that input may carry from
        a read of the kind, which are ignored."""
        spec = self.options(importing)
        ignored = list(self.read_only_keys) + [field.option for field in self.fields if field.option not in spec]
        spec.update((key, dict(type="raw")) for key in ignored)
        return spec

    def nested_options(self):
        """Argument spec of the kinds nested in one resource: each Child's list, its purge and what it imports."""
        spec = {}
        for child in self.children:
            items = child.kind.item_options()
            if child.states:
                items["state"] = dict(type="str", choices=["present", "absent"])
            items.update(child.kind.nested_options())
            spec[child.option] = dict(type="list", elements=child.elements)
            if child.elements == "dict":
                spec[child.option]["options"] = items
            if child.purge:
                spec[child.purge] = dict(type="bool")
            if child.imports:
                spec[child.imports] = dict(type="list", elements="dict", options=child.kind.item_options(importing=True))
        return spec

    def label(self, item, index=None):
        """How an item is named in messages: its name and/or id, and its place in the list."""
        parts = []
        if item.get(self.name_option) is not None:
            parts.append("'%s'" % item[self.name_option])
        if item.get(self.id_option) and self.id_option != self.name_option:
            parts.append("(id %s)" % item[self.id_option])
        text = "%s %s" % (self.name, " ".join(parts)) if parts else "%s without name or id" % self.name
        return text if index is None else "%s[%d] %s" % (self.plural, index, text)

    def header(self, item, resource_id):
        """How a diff names a resource: "topic 'General' (@TGS#_x@TOPIC#_general)"."""
        if item.get(self.name_option) is None or self.id_option == self.name_option:
            return "%s %s" % (self.name, resource_id or "new")
        return "%s '%s' (%s)" % (self.name, item.get(self.name_option), resource_id or "new")

    def canonical_item(self, item):
        """``item`` with each declared field in its one form (Field.canonical)."""
        item = dict(item)
        for field in self.fields:
            if item.get(field.option) is not None:
                item[field.option] = field.canonical(item[field.option])
        return item

    def describe(self, resource):
        """A resource as results show it (a kind may add what is derived, such as a permission's integer)."""
        return resource

    def from_api(self, info):
        """One resource as the API returns it, as a snake_case dict of the declared fields and its ID."""
        resource = {self.id_option: info.get(self.id_field.api)}
        for field in self.fields:
            if field.api in info:
                resource[field.option] = field.from_api(info[field.api])
        return resource

    # --- rules and calls of the kind; the defaults suit a kind without them ------------------------------

    def scope_label(self, scope):
        return "group %s" % scope

    def scope_problem(self, scope):
        return None

    def id_problem(self, scope, resource_id):
        """Why ``resource_id`` cannot name a resource of ``scope``, or None."""
        return None

    def is_assigned(self, resource_id):
        """Whether ``resource_id`` is of the form the server assigns, which creation cannot choose."""
        return False

    def creation_problem(self, scope, wanted):
        """Why ``wanted``, not found in ``scope``, cannot be created, or None."""
        if wanted.get(self.name_option) is None:
            return "does not exist, and its %s is required to create it" % self.name_option
        return None

    def existing_problem(self, resource):
        """Why the resource found for an item cannot be managed as this kind, or None."""
        return None

    def adopt(self, scope, item):
        """``item``, possibly read from another scope or app, as it is to be matched and created in ``scope``: an ID
        of the server's form cannot be chosen, so such an item is found by name (and created with a new ID)."""
        if self.is_assigned(item.get(self.id_option)):
            return dict((key, value) for key, value in item.items() if key != self.id_option)
        return item

    def read(self, client, scope, items):
        """The resources of ``scope`` that ``items`` (as given) may refer to (all of them, for most kinds)."""
        raise NotImplementedError

    def create(self, client, scope, body, recheck):
        raise NotImplementedError

    def import_(self, client, scope, body, recheck):
        raise NotImplementedError

    def modify(self, client, scope, resource_id, body):
        raise NotImplementedError

    def delete(self, client, scope, resource_ids):
        """Delete resources; returns {id: TimApiError} of those that could not be deleted."""
        raise NotImplementedError

    def create_many(self, client, scope, bodies):
        """For a kind with ``batch``: create up to ``batch`` resources in one call; returns [(new id, error)]."""
        raise NotImplementedError

    def modify_many(self, client, scope, pairs):
        """For a kind with ``batch``: modify [(id, body)] in one call; returns [error or None]."""
        raise NotImplementedError

    def prepare(self, declaration):
        """Before a nested declaration is planned: resolve what its items name through the resources planned
        around it (a topic named in a permission group). Returns the problems found."""
        return []

    def annotate(self, declaration, resources):
        """The resources read for ``declaration``, with what ``prepare`` learnt of them (a topic's name)."""
        return resources


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
        Nested kinds that the item declared are listed under their option."""
        if self.action in (CREATE, IMPORT):
            if not self.done:
                return None
            resource = self.compared_values(self.wanted)
            resource[self.kind.id_option] = self.resource_id or self.planned_id()
            if self.wanted.get(self.kind.name_option) is not None:
                resource.setdefault(self.kind.name_option, self.wanted[self.kind.name_option])
        elif self.action == DELETE:
            return None
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


# --- validation ----------------------------------------------------------------------------------------


def nest(declaration):
    """Give ``declaration`` the declarations of the kinds nested in each of its items (recursively), for the kinds
    an item lists: the others are neither read nor changed. A nested declaration's scope is its parent's ID when the
    item gives it; else it is known once the parent is found."""
    for index, item in enumerate(declaration.items):
        if declaration.state_of(item) == "absent":
            continue
        for child in declaration.kind.children:
            if child.option not in item and not (child.imports and item.get(child.imports)) and not any(
                    other in item for other in child.along):
                continue
            nested = Declaration(child.kind, child.scope(declaration.scope, item.get(declaration.kind.id_option)),
                                 [child.item(value) for value in item.get(child.option) or []],
                                 purge=bool(child.purge and item.get(child.purge)), adopting=declaration.adopting,
                                 child=child, owner=_within(declaration, declaration.label(item, index)),
                                 position=index,
                                 imported=item.get(child.imports) or [] if child.imports else [])
            declaration.children.append(nested)
            nest(nested)


def validation_problems(declaration):
    """Every problem of one declaration's input, each naming the item and the rule; nothing is read for it.
    Rules that need the scope wait until it is known (``scope_problems``)."""
    kind = declaration.kind
    problems = []
    for index, item in enumerate(declaration.items):
        where = declaration.label(item, index)
        given = declaration.given[index]
        if not given.get(kind.id_option) and given.get(kind.name_option) is None:
            problems.append("%s: give %s or %s" % (where, kind.id_option, kind.name_option))
            continue
        for field in kind.fields_for(declaration.imports(index)):
            if item.get(field.option) is not None:
                problem = field.problem(item[field.option])
                if problem:
                    problems.append("%s: %s" % (where, problem))
        problems.extend("%s: %s needs %s (an empty list purges every one)" % (where, child.purge, child.option)
                        for child in kind.children if item.get(child.purge) and child.option not in item)
    for option in unique([kind.id_option, kind.name_option]):
        problems.extend(_listed_twice(declaration, option))
    problems = [_within(declaration, problem) for problem in problems]
    return problems + scope_problems(declaration)


def scope_problems(declaration):
    """The rules of one declaration that need its scope: the scope itself, and the IDs its items give."""
    kind = declaration.kind
    if declaration.scope is None:
        return []
    problem = kind.scope_problem(declaration.scope)
    if problem:
        return [_within(declaration, problem)]
    problems = []
    for index, item in enumerate(declaration.items):
        if item.get(kind.id_option) is None:
            continue
        problem = kind.id_problem(declaration.scope, item[kind.id_option])
        if not problem and declaration.imports(index):
            # Every item of an import may be created: its creation rules are checked before anything is read.
            problem = kind.creation_problem(declaration.scope, declaration.creatable(item))
        if problem:
            problems.append(_within(declaration, "%s: %s" % (declaration.label(item, index), problem)))
    return problems


def _within(declaration, problem):
    """``problem`` of a nested declaration, prefixed with the item it is nested in (and those that one is in)."""
    return "%s: %s" % (declaration.owner, problem) if declaration.owner else problem


def _listed_twice(declaration, option):
    """Items that give the same value of ``option`` as an earlier item of the same list (declared, or imported)."""
    problems = []
    seen = {}
    for index, item in enumerate(declaration.items):
        value = item.get(option)
        if value is None or value == "":
            continue
        value = (declaration.imports(index), value)
        if value in seen:
            problems.append("%s: %s is listed twice (also %s)"
                            % (declaration.label(item, index), option, declaration.place(seen[value])))
        else:
            seen[value] = index
    return problems


# --- planning ------------------------------------------------------------------------------------------


class Index:
    """The resources of one scope as read, found by ID or by exact name."""

    def __init__(self, kind, resources):
        self.kind = kind
        self.by_id = dict((resource[kind.id_option], resource) for resource in resources)
        self.by_name = {}
        for resource in resources:
            self.by_name.setdefault(resource.get(kind.name_option), []).append(resource)

    def find(self, wanted, name_too=False):
        """The resource ``wanted`` refers to, by ID when given (and, with ``name_too``, else by name), or None.

        Raises InvalidInput when the name is ambiguous.
        """
        resource_id = wanted.get(self.kind.id_option)
        if resource_id and (resource_id in self.by_id or not name_too):
            return self.by_id.get(resource_id)
        name = wanted.get(self.kind.name_option)
        matches = self.by_name.get(name, [])
        if len(matches) > 1:
            raise InvalidInput("%d existing %s are named '%s' (%s): give %s to say which one" % (
                len(matches), self.kind.words, name, ", ".join(match[self.kind.id_option] for match in matches),
                self.kind.id_option))
        return matches[0] if matches else None


def differences(kind, wanted, current):
    """[(Field, current value, wanted value)] for every compared field given in ``wanted`` that differs."""
    found = []
    for field in kind.fields:
        value = wanted.get(field.option)
        if field.compare and value is not None:
            difference = field.difference(current.get(field.option, field.empty), value)
            if difference is not None:
                found.append((field, difference[0], difference[1]))
    return found


def plan(declaration, existing):
    """Fill ``declaration.changes`` from the resources read; raise InvalidInput naming every item that cannot be done.

    Items to import are planned first: an item declared as well applies its fields to the imported resource (a
    modify after the import when it is imported by this run), and neither counts as naming it twice.
    """
    kind = declaration.kind
    index = Index(kind, existing)
    declaration.existing = existing
    matched = {True: set(), False: set()}  # the IDs found, by items imported and declared
    importing = []  # the import changes of this plan
    problems = []
    for position in sorted(range(len(declaration.items)), key=lambda position: not declaration.imports(position)):
        wanted = declaration.items[position]
        where = declaration.label(wanted, position)
        try:
            current = _find(declaration, index, position, wanted)
        except InvalidInput as exc:
            problems.append("%s: %s" % (where, exc))
            continue
        if current is None and not declaration.imports(position):
            follows = _imported_by_this_run(kind, importing, wanted)
            if follows is not None:
                declaration.changes.append(_after_import(declaration, position, wanted, follows))
                continue
        problem = kind.existing_problem(current) if current is not None else None
        if current is not None and current[kind.id_option] in matched[declaration.imports(position)]:
            problem = "refers to the same existing %s %s as another item" % (kind.name, current[kind.id_option])
        state = declaration.state_of(wanted)
        if problem is None and current is None and state != "absent":
            wanted = declaration.creatable(wanted)
            problem = kind.creation_problem(declaration.scope, wanted)
        if problem:
            problems.append("%s: %s" % (where, problem))
            continue
        if current is not None:
            matched[declaration.imports(position)].add(current[kind.id_option])
        elif state == "absent":
            continue
        change = _change_for(declaration, position, state, wanted, current)
        change.position = position
        declaration.changes.append(change)
        if change.action == IMPORT:
            importing.append(change)
    declaration.changes.sort(key=lambda change: change.position)
    if declaration.state == "present" and declaration.purge:
        declaration.changes.extend(Change(declaration, DELETE, current=resource) for resource in existing
                                   if resource[kind.id_option] not in matched[True] | matched[False])
    if problems:
        raise InvalidInput("; ".join(problems))
    _check_existing(declaration)
    _check_limit(declaration)


def _imported_by_this_run(kind, importing, wanted):
    """The import change of this plan that ``wanted`` (a declared item, not found) refers to, or None."""
    for change in importing:
        if _is_the_one(kind, wanted, change.wanted) or (
                not wanted.get(kind.id_option) and wanted.get(kind.name_option) == change.wanted.get(kind.name_option)):
            return change
    return None


def _after_import(declaration, position, wanted, follows):
    """The change of a declared item whose resource this run imports: what it gives beyond the import."""
    imported = follows.compared_values(follows.wanted)
    found = differences(declaration.kind, wanted, imported)
    change = Change(declaration, MODIFY if found else KEEP, wanted, imported, found)
    change.follows = follows
    change.position = position
    return change


def _find(declaration, index, position, wanted):
    """The resource an item refers to. Adopting, the ID as given is tried first (the same app), then the item as
    moved onto the scope, by name when it has no ID of its own there (or, imported, is not found by it)."""
    kind = declaration.kind
    given = declaration.given[position]
    if declaration.adopting and given.get(kind.id_option) in index.by_id:
        return index.by_id[given[kind.id_option]]
    as_created = declaration.creatable(wanted)
    return index.find(as_created, name_too=declaration.imports(position) or not as_created.get(kind.id_option))


def _change_for(declaration, position, state, wanted, current):
    given = declaration.given[position]
    if state == "absent":
        return Change(declaration, DELETE, wanted, current)
    if current is None:
        return Change(declaration, IMPORT if declaration.imports(position) else CREATE, wanted, origin=given)
    if declaration.imports(position):
        return Change(declaration, SKIP, wanted, current, origin=given)
    found = differences(declaration.kind, wanted, current)
    return Change(declaration, MODIFY if found else KEEP, wanted, current, found)


def _check_existing(declaration):
    skipped = [change for change in declaration.changes if change.action == SKIP]
    if skipped and declaration.on_existing == "fail":
        raise InvalidInput("%d %s(s) are already in the community (on_existing=fail): %s" % (
            len(skipped), declaration.kind.name,
            ", ".join("'%s' (%s)" % (change.name(), change.resource_id) for change in skipped)))


def _check_limit(declaration):
    kind = declaration.kind
    if kind.limit is None:
        return
    count = dict((action, 0) for action in (CREATE, IMPORT, DELETE))
    for change in declaration.changes:
        if change.action in count:
            count[change.action] += 1
    new = count[CREATE] + count[IMPORT]
    total = len(declaration.existing) - count[DELETE] + new
    if total > kind.limit:
        raise InvalidInput("%s would hold %d %s, more than the %d a %s can have (%d exist, %d to %s%s)" % (
            declaration.where(), total, kind.words, kind.limit, kind.scope_noun, len(declaration.existing), new,
            "import" if declaration.importing else "create",
            ", %d to delete" % count[DELETE] if count[DELETE] else ""))


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


# --- writing -------------------------------------------------------------------------------------------


def write(client, declarations):
    """Carry out the planned changes: deletes first (a purge makes room under the limit for what is created next),
    then creations, then modifications and what creation could not set; in parallel within the client's limits."""
    changes = [change for declaration in declarations for change in declaration.changes]
    in_parallel(lambda declaration: _delete(client, declaration), declarations, client.concurrency)
    creations = [change for change in changes if change.action in (CREATE, IMPORT)]
    in_parallel(lambda job: _create_batch(client, job) if job[0].kind.batch else _create(client, job[0]),
                _jobs(creations), client.concurrency)
    modifications = [(change, change.modify_body()) for change in changes if change.action == MODIFY
                     and (change.follows is None or change.follows.done)]
    modifications.extend((change, change.follow_up_body()) for change in creations if change.done
                         and change.follow_up_fields())
    in_parallel(lambda job: _modify_batch(client, job) if job[0][0].kind.batch else _modify(client, *job[0]),
                _jobs(modifications, lambda pair: pair[0]), client.concurrency)


def _jobs(entries, change_of=lambda change: change):
    """``entries`` as units of work: one each, or, for a kind written in batches, up to ``batch`` of one scope."""
    jobs, batches = [], {}
    for entry in entries:
        change = change_of(entry)
        if not change.kind.batch:
            jobs.append([entry])
            continue
        batch = batches.get(id(change.declaration))
        if batch is None or len(batch) >= change.kind.batch:
            batch = batches[id(change.declaration)] = []
            jobs.append(batch)
        batch.append(entry)
    return jobs


def _create_batch(client, changes):
    declaration = changes[0].declaration
    try:
        results = declaration.kind.create_many(client, declaration.scope, [change.create_body() for change in changes])
    except TimApiError as exc:
        results = [(None, exc)] * len(changes)
    for change, (new_id, error) in zip(changes, results):
        change.new_id, change.error, change.done = new_id, error, error is None


def _modify_batch(client, pairs):
    declaration = pairs[0][0].declaration
    try:
        errors = declaration.kind.modify_many(client, declaration.scope,
                                              [(change.resource_id, body) for change, body in pairs])
    except TimApiError as exc:
        errors = [exc] * len(pairs)
    for (change, _body), error in zip(pairs, errors):
        change.error, change.done = error, error is None


def _delete(client, declaration):
    doomed = [change for change in declaration.changes if change.action == DELETE]
    if not doomed:
        return
    try:
        failed = declaration.kind.delete(client, declaration.scope, [change.resource_id for change in doomed])
    except TimApiError as exc:
        failed = dict((change.resource_id, exc) for change in doomed)
    for change in doomed:
        change.error = failed.get(change.resource_id)
        change.done = change.error is None


def _create(client, change):
    kind = change.kind
    body = change.create_body()

    def recheck():
        """After a lost answer: the answer to use when the resource turns out to exist, or None to send again."""
        for resource in kind.read(client, change.scope, [change.wanted]):
            if _is_the_one(kind, change.wanted, resource):
                return {kind.id_field.api: resource[kind.id_option]}
        return None

    writer = kind.import_ if change.action == IMPORT else kind.create
    try:
        change.new_id = writer(client, change.scope, body, recheck)
        change.done = True
    except TimApiError as exc:
        change.error = exc


def _is_the_one(kind, wanted, resource):
    if wanted.get(kind.id_option):
        return resource[kind.id_option] == wanted[kind.id_option]
    return resource.get(kind.name_option) == wanted.get(kind.name_option)


def _modify(client, change, body):
    try:
        change.kind.modify(client, change.scope, change.resource_id, body)
    except TimApiError as exc:
        if change.action == MODIFY:
            change.error = exc
        else:
            change.follow_up_error = exc
        return
    if change.action == MODIFY:
        change.done = True


# --- the run and its outcome ---------------------------------------------------------------------------


def run(client, declarations):
    """Validate every declaration and the ones nested in them, read each scope once, plan, and write unless in
    check mode, a level of nesting after the other: one Outcome.

    Nothing is written when any input is invalid, any read fails or any plan is impossible.
    """
    for declaration in declarations:
        nest(declaration)
    every = [nested for declaration in declarations for nested in declaration.tree()]
    problems = [problem for declaration in every for problem in validation_problems(declaration)]
    if problems:
        return Outcome(declarations, "Invalid input, nothing was changed: " + "; ".join(problems))
    level = declarations
    while level:
        refusal = _read_and_plan(client, level)
        if refusal is not None:
            for declaration in every:
                del declaration.changes[:]
            return refusal
        level = [child for declaration in level for change in declaration.changes for child in change.children]
    if client.check_mode:
        for declaration in every:
            for change in declaration.changes:
                change.done = True
        return Outcome(declarations)
    level = declarations
    while level:
        write(client, level)
        level = [child for declaration in level for child in _ready_children(declaration)]
    return Outcome(declarations)


def _read_and_plan(client, level):
    """Read the scopes of one level (those that exist) at once, plan each, and hand each nested declaration to the
    change of the resource it belongs to. An Outcome when something failed, else None."""
    existing = [declaration for declaration in level if declaration.scope is not None and not _parent_is_new(declaration)]
    reads = run_concurrently(lambda declaration: declaration.kind.read(client, declaration.scope, declaration.given),
                             existing, client.concurrency)
    found = {}
    for declaration, resources, error in reads:
        if error is not None:
            return Outcome(level, "Reading the %s of %s failed: %s" % (
                declaration.kind.words, declaration.where(), _api_error(error)), error)
        found[id(declaration)] = declaration.kind.annotate(declaration, resources)
    for declaration in level:
        try:
            plan(declaration, found.get(id(declaration), []))
        except InvalidInput as exc:
            return Outcome(level, "Nothing was %s %s: %s" % (
                "imported into" if declaration.importing else "changed in", declaration.where(), exc))
        problems = _attach_children(declaration)
        if problems:
            return Outcome(level, "Invalid input, nothing was changed: " + "; ".join(problems))
    return None


def _parent_is_new(declaration):
    return declaration.parent is not None and declaration.parent.action in (CREATE, IMPORT)


def _attach_children(declaration):
    """Give each change the nested declarations of its item, their scope its ID where known; returns the problems
    of the rules that needed that scope."""
    problems = []
    by_position = {}
    for child in declaration.children:
        by_position.setdefault(child.position, []).append(child)
    for change in declaration.changes:
        if change.action in (DELETE, SKIP) or change.position is None:
            continue
        for child in by_position.get(change.position, []):
            child.parent = change
            known = change.resource_id if change.action not in (CREATE, IMPORT) or change.wanted.get(
                declaration.kind.id_option) else None
            scope = child.child.scope(declaration.scope, known)
            if scope != child.scope:
                child.resolve(scope)
                problems.extend(scope_problems(child))
            change.children.append(child)
    for change in declaration.changes:
        for child in change.children:
            problems.extend(child.kind.prepare(child))
    return problems


def _ready_children(declaration):
    """The nested declarations to write next, their parent's ID now known (planned again with it, when the server
    assigned it); those of a parent that could not be created are left out, and reported as not written."""
    ready = []
    for change in declaration.changes:
        for child in change.children:
            if change.action in (CREATE, IMPORT) and not change.done:
                child.blocked = change
                continue
            scope = child.child.scope(declaration.scope, change.resource_id)
            if child.scope != scope:
                child.resolve(scope)
                del child.changes[:]
                try:
                    problems = child.kind.prepare(child)
                    if problems:
                        raise InvalidInput("; ".join(problems))
                    plan(child, [])
                    problems = scope_problems(child) + _attach_children(child)
                    if problems:
                        raise InvalidInput("; ".join(problems))
                except InvalidInput as exc:
                    del child.changes[:]
                    child.blocked = exc
                    continue
            ready.append(child)
    return ready


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


def _api_error(error):
    if isinstance(error, TimApiError):
        return error
    raise error


def in_parallel(function, items, workers):
    """``run_concurrently`` for work that reports its API errors itself: any other error is a bug, raised here."""
    for _item, _result, error in run_concurrently(function, items, workers):
        if error is not None:
            raise error


def run_concurrently(function, items, workers):
    """Apply ``function`` to every item with up to ``workers`` threads.

    Returns ``[(item, result, error)]`` in input order; an error does not stop the other items.
    Plain threads, not concurrent.futures: that package is not in Python 2.7's standard library,
    and module code runs on 2.7 targets too (ansible-core 2.16).
    """
    items = list(items)
    results = [None] * len(items)
    fatal = []  # a BaseException (KeyboardInterrupt, SystemExit) in a worker, re-raised here
    lock = threading.Lock()
    pending = iter(range(len(items)))

    def guarded(index):
        item = items[index]
        try:
            results[index] = (item, function(item), None)
        except Exception as exc:  # noqa: BLE001 -- reported per item to the caller
            results[index] = (item, None, exc)

    def worker():
        while not fatal:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                guarded(index)
            except BaseException as exc:  # pylint: disable=broad-except
                fatal.append(exc)

    if workers <= 1 or len(items) <= 1:
        for index in range(len(items)):
            guarded(index)
        return results
    threads = [threading.Thread(target=worker) for _count in range(min(workers, len(items)))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    if fatal:
        raise fatal[0]
    return results

# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns what a resource kind declares: its fields and API names (Field), the kinds nested in it (Child), and the
rules and calls every kind has (Kind), with the defaults that suit a kind without them.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._validation import byte_length


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
                 elements="dict", states=False, brief=False):
        self.option = option
        self.elements = elements  # how its items are listed: "dict", or "str" (members, by name)
        self.states = states  # whether each item may have its own state
        self.brief = brief  # whether results list them with their ID, name and declared fields only
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

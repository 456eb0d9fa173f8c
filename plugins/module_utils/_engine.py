# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the lifecycle of every resource kind: validate everything, read once, plan, write concurrently, one outcome.

A resource kind (_kind.Kind) is a declaration; every rule of the lifecycle (nesting, matching, comparison, check
mode, the re-check after a lost answer, settings that only a modify can make, the per-scope limit, batches) is
written here once.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tim.chat.plugins.module_utils._change import (
    CREATE,
    DELETE,
    IMPORT,
    KEEP,
    MODIFY,
    SKIP,
    Change,
    Declaration,
)
from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput, TimApiError
from ansible_collections.tim.chat.plugins.module_utils._outcome import Outcome
from ansible_collections.tim.chat.plugins.module_utils._parallel import in_parallel, run_concurrently
from ansible_collections.tim.chat.plugins.module_utils._validation import unique


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


def _api_error(error):
    if isinstance(error, TimApiError):
        return error
    raise error

# -*- coding: utf-8 -*-
"""ansible-doc must list an option wherever the argument spec nests it, and a doc fragment cannot nest under
suboptions: a list form therefore documents its keys as "See O(...)." of the single form. Each such reference
names an option that exists and takes the same values; the one full copy left (tim_community's permission
groups, which are tim_permission_group's options) reads the same as its original. ansible-test's validate-modules
checks names and types against the argument spec; this checks that the text a user reads points the right way."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import pytest
import yaml

MODULES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules")
SEE = re.compile(r"^See O\((?:tim\.chat\.(tim_[a-z_]+)#module:)?([a-z_\[\].]+)\)[.;]")
SHAPE = ("type", "elements", "choices", "required")


def module_names():
    return sorted(name[:-3] for name in os.listdir(MODULES) if name.startswith("tim_") and name.endswith(".py"))


def options(module):
    with open(os.path.join(MODULES, module + ".py")) as source:
        for node in ast.parse(source.read()).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
                return yaml.safe_load(node.value.value)["options"]
    raise AssertionError("%s has no DOCUMENTATION" % module)


def walk(suboptions, path=""):
    """Every option with its dotted path, parents before their suboptions (a list: this file compiles on Python 2.7)."""
    found = []
    for name, doc in suboptions.items():
        found.append((path + name, doc))
        found.extend(walk(doc.get("suboptions", {}), path + name + "[]."))
    return found


def lookup(top, reference):
    doc = {"suboptions": top}
    for name in reference.replace("[]", "").split("."):
        doc = doc.get("suboptions", {}).get(name)
        if doc is None:
            return None
    return doc


def references(module):
    """(path, doc, reference, options of the module the reference names) of every "See O(...)" in module."""
    for path, doc in walk(options(module)):
        description = doc["description"]
        match = SEE.match(description) if isinstance(description, str) else None
        if match:
            yield path, doc, match.group(2), options(match.group(1) or module)


@pytest.mark.parametrize("module", module_names())
def test_every_see_reference_names_an_option_that_takes_the_same_values(module):
    for path, doc, reference, top in references(module):
        target = lookup(top, reference)
        assert target is not None, "%s: %s refers to %s, which is not documented" % (module, path, doc["description"])
        assert target is not doc, "%s: %s refers to itself" % (module, path)
        assert dict((key, doc.get(key)) for key in SHAPE if key != "required") == dict(
            (key, target.get(key)) for key in SHAPE if key != "required"), (module, path, reference)
        if doc.get("suboptions"):
            assert set(doc["suboptions"]) == set(target.get("suboptions", {})), (module, path, reference)


def test_the_list_forms_refer_to_the_single_form_instead_of_repeating_it():
    community = options("tim_community")["communities"]["suboptions"]
    permission_groups = options("tim_permission_group")["permission_groups"]["suboptions"]
    for listed in (community["topics"], community["permission_groups"], community["import_topics"]):
        assert SEE.match(listed["description"])
        for name, doc in listed["suboptions"].items():
            assert doc["type"] == "raw" or SEE.match(doc["description"]), name
    for name, doc in permission_groups.items():
        assert doc["type"] == "raw" or name == "state" or SEE.match(doc["description"]), name


def test_tim_community_permission_groups_refer_to_tim_permission_group_options():
    # Nested, state defaults to the community's state (in tim_permission_group to present), and the read-only keys
    # of tim_community_info output exist only where that output is accepted: every other key refers to the option
    # of tim_permission_group that it is, in the single and in the list form.
    single = options("tim_community")["permission_groups"]
    listed = options("tim_community")["communities"]["suboptions"]["permission_groups"]
    for form in (single, listed):
        for path, doc in walk(form["suboptions"]):
            if doc["type"] == "raw" or path == "state":
                continue
            assert doc["description"] == "See O(tim.chat.tim_permission_group#module:%s)." % path, path

# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns the input rules every option and resource kind shares: value types against an argument spec, text, bytes.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers

from ansible.module_utils.common.text.converters import to_text

# Text: str, and unicode on Python 2.7 targets (ansible-core 2.16). Not ansible.module_utils.six: ansible-core 2.21
# deprecates it and its sanity test rejects it.
STRING_TYPES = (str, type(b"".decode("ascii")))
TEXT_TYPES = ("str", "path")


def byte_length(value):
    return len(value.encode("utf-8"))


def text_params(value):
    """``value`` with every byte string decoded: on Python 2 targets AnsibleModule makes str options native
    byte strings, which neither equal the API's text ("\xe5\xb8\xae" != u"\u5e2e") nor mix with it."""
    if isinstance(value, dict):
        return dict((text_params(key), text_params(item)) for key, item in value.items())
    if isinstance(value, list):
        return [text_params(item) for item in value]
    if isinstance(value, bytes):
        return to_text(value, errors="surrogate_or_strict")
    return value


def type_name(value):
    return "a boolean" if isinstance(value, bool) else "a " + type(value).__name__


def value_problem(kind, value, strict):
    """Why ``value`` is not of the argument-spec type ``kind``, or None.

    Not strict (module arguments, which AnsibleModule converts): a text option refuses a mapping, a list or a
    boolean, which it would turn into their Python text without a word, and takes a number (topic_name: 2024),
    as every Ansible module does. Strict (items read from a file, which nothing converts): every type is exact.
    """
    if kind in TEXT_TYPES:
        if isinstance(value, (dict, list, bool)):
            return "must be a string, not %s%s" % (type_name(value), "" if strict else " (quote it if it is meant as text)")
        if strict and not isinstance(value, STRING_TYPES):
            return "must be a string, not %s" % type_name(value)
    elif strict and kind == "int" and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        return "must be an integer, not %s" % type_name(value)
    elif strict and kind == "bool" and not isinstance(value, bool):
        return "must be true or false, not %s" % type_name(value)
    elif strict and kind == "dict" and not isinstance(value, dict):
        return "must be a mapping, not %s" % type_name(value)
    return None


def type_problems(spec, raw, where="", strict=False):
    """Type problems of ``raw`` (arguments as given, or an item read from a file) against the argument ``spec``.

    Strict also names unknown keys and missing (or empty) required options.
    """
    problems = []
    if strict:
        problems.extend("%sunknown key '%s' (known: %s)" % (where, key, ", ".join(sorted(spec)))
                        for key in sorted(raw) if key not in spec)
    for name, option in sorted(spec.items()):
        value = raw.get(name)
        if value is None or (strict and option.get("required") and value == ""):
            if strict and option.get("required"):
                problems.append("%s%s is required" % (where, name))
            continue
        kind = option.get("type", "str")
        if kind == "list" and isinstance(value, list):
            if option.get("options"):
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        problems.extend(type_problems(option["options"], item, "%s%s[%d]." % (where, name, index), strict))
                continue
            items = [("%s%s[%d]" % (where, name, index), item) for index, item in enumerate(value)]
            kind = option.get("elements")
        else:
            items = [(where + name, value)]
        for label, item in items:
            problem = value_problem(kind, item, strict)
            if problem:
                problems.append("%s %s" % (label, problem))
    return problems


def unique(values):
    """``values`` without repeats, in their first order."""
    seen = set()
    return [value for value in values if not (value in seen or seen.add(value))]

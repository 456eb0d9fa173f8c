# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns reading a list of resources from a JSON or YAML file, such as a saved tim_topic_info result.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.tim.chat.plugins.module_utils._errors import InvalidInput
from ansible_collections.tim.chat.plugins.module_utils._validation import type_problems

MAX_SRC_BYTES = 10 * 1024 * 1024


def load_items(path, kind, spec):
    """The list of ``kind`` resources in a JSON or YAML file (a list, or a mapping with a list under the kind's
    plural), each item checked against the argument ``spec`` of one item: exact types, no unknown keys."""
    data = _load(path)
    if isinstance(data, dict) and kind.plural in data:
        data = data[kind.plural]
    if not isinstance(data, list):
        raise InvalidInput("src %s must hold a list of %s or a mapping with a '%s' list" % (path, kind.plural, kind.plural))
    problems = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append("src %s: %s[%d]: must be a mapping, not %s" % (path, kind.plural, index, type(item).__name__))
            continue
        where = "src %s: %s: " % (path, kind.label(item, index))
        problems.extend(where + problem for problem in type_problems(spec, item, strict=True))
    if problems:
        raise InvalidInput("; ".join(problems))
    return [dict((key, value) for key, value in item.items() if value is not None) for item in data]


def _load(path):
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InvalidInput("cannot read src %s: %s" % (path, exc.strerror))
    if size > MAX_SRC_BYTES:
        raise InvalidInput("src %s is %d bytes, more than the %d allowed" % (path, size, MAX_SRC_BYTES))
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Replacing the bad bytes would import names that are not the source's ("caf\ufffd").
        raise InvalidInput("src %s is not UTF-8 text (byte %d is 0x%02x): save it as UTF-8"
                           % (path, exc.start, bytearray(raw[exc.start:exc.start + 1])[0]))
    try:
        return json.loads(text)
    except ValueError:
        return _load_yaml(path, text)


def _load_yaml(path, text):
    try:
        import yaml
    except ImportError:
        raise InvalidInput("src %s is not JSON, and PyYAML is not installed to read it as YAML" % path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput("src %s is neither valid JSON nor valid YAML: %s" % (path, exc))

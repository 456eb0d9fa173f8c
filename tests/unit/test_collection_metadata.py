# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release metadata that nothing else checks:

- meta/runtime.yml's action group `tim` lists exactly the modules in plugins/modules/, once each, so that
  `module_defaults: group/tim.chat.tim:` reaches every module (a typo or a forgotten module fails here);
- galaxy.yml's version and changelogs/changelog.yaml agree (see version_problems); the fragments themselves
  are linted by `antsibull-changelog lint` (make changelog-lint).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.utils.version import SemanticVersion

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def module_names():
    directory = os.path.join(ROOT, "plugins", "modules")
    return sorted(name[:-3] for name in os.listdir(directory)
                  if name.endswith(".py") and not name.startswith("_") and name != "__init__.py")


def fragment_names():
    directory = os.path.join(ROOT, "changelogs", "fragments")
    return sorted(name for name in os.listdir(directory) if name.endswith((".yml", ".yaml")))


def semver(text, where):
    try:
        return SemanticVersion(str(text))
    except ValueError:
        raise AssertionError("%s: %r is not a semantic version (x.y.z)" % (where, text))


def version_problems(galaxy_version, changelog, fragments):
    """What is wrong between galaxy.yml's version, changelog.yaml (its releases and ancestor) and the
    unreleased fragments; an empty list when they agree.

    They agree when no release in changelog.yaml (nor the ancestor) is newer than galaxy.yml's version, and,
    when galaxy.yml's version is itself released already, no fragment waits for a release (those changes
    would be released under the old version: galaxy.yml's version must be bumped first). An unreleased
    version with an empty `releases: {}` (0.1.0 before its first release) agrees.
    """
    problems = []
    current = semver(galaxy_version, "galaxy.yml version")
    releases = (changelog or {}).get("releases") or {}
    for version in sorted(releases, key=lambda v: semver(v, "changelog.yaml release")):
        if semver(version, "changelog.yaml release") > current:
            problems.append("changelogs/changelog.yaml has release %s, newer than galaxy.yml's version %s"
                            % (version, galaxy_version))
    ancestor = (changelog or {}).get("ancestor")
    if ancestor is not None and semver(ancestor, "changelog.yaml ancestor") > current:
        problems.append("changelogs/changelog.yaml's ancestor %s is newer than galaxy.yml's version %s"
                        % (ancestor, galaxy_version))
    if str(galaxy_version) in set(str(v) for v in releases) and fragments:
        problems.append("galaxy.yml's version %s is already released in changelogs/changelog.yaml, but "
                        "changelogs/fragments has unreleased changes (%s): bump galaxy.yml's version"
                        % (galaxy_version, ", ".join(fragments)))
    return problems


def test_action_group_lists_exactly_the_modules():
    runtime = load_yaml("meta", "runtime.yml")
    group = runtime.get("action_groups", {}).get("tim")
    assert isinstance(group, list), "meta/runtime.yml has no action_groups.tim list"
    duplicates = sorted(set(name for name in group if group.count(name) > 1))
    assert not duplicates, "meta/runtime.yml action group tim lists %s more than once" % duplicates
    missing = sorted(set(module_names()) - set(group))
    unknown = sorted(set(group) - set(module_names()))
    assert not missing and not unknown, (
        "meta/runtime.yml action group tim must list exactly plugins/modules/*: missing %s, no such module %s"
        % (missing, unknown))


def test_runtime_requires_ansible():
    runtime = load_yaml("meta", "runtime.yml")
    assert str(runtime.get("requires_ansible", "")).startswith(">="), runtime.get("requires_ansible")


def test_galaxy_version_and_changelog_agree():
    galaxy = load_yaml("galaxy.yml")
    changelog = load_yaml("changelogs", "changelog.yaml")
    assert version_problems(galaxy["version"], changelog, fragment_names()) == []


@pytest.mark.parametrize("galaxy_version, changelog, fragments, expected", [
    ("0.1.0", {"ancestor": None, "releases": {}}, ["a.yml"], None),
    ("0.2.0", {"releases": {"0.1.0": {}}}, ["a.yml"], None),
    ("0.1.0", {"releases": {"0.1.0": {}}}, [], None),
    ("1.0.0", {"releases": {"0.1.0": {}, "0.10.0": {}}}, [], None),
    ("0.1.0", {"releases": {"0.2.0": {}}}, [], "release 0.2.0, newer than galaxy.yml's version 0.1.0"),
    ("0.9.0", {"releases": {"0.10.0": {}}}, [], "release 0.10.0, newer"),
    ("0.1.0", {"ancestor": "1.0.0", "releases": {}}, [], "ancestor 1.0.0 is newer"),
    ("0.1.0", {"releases": {"0.1.0": {}}}, ["a.yml"], "bump galaxy.yml's version"),
])
def test_version_problems_catch_mismatches(galaxy_version, changelog, fragments, expected):
    problems = version_problems(galaxy_version, changelog, fragments)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems


def test_version_problems_reject_a_non_semver_version():
    with pytest.raises(AssertionError, match="not a semantic version"):
        version_problems("0.1", {"releases": {}}, [])

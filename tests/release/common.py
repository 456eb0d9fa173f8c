# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the release checks share: where a release build lives, galaxy.yml and the tarball it names, and how a check
reports what it found."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASE = os.path.join(REPO_ROOT, ".build", "release")
DIST = os.path.join(RELEASE, "dist")


class CheckFailed(Exception):
    pass


def step(message):
    print("== %s" % message, flush=True)


def galaxy_metadata():
    with open(os.path.join(REPO_ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)


def tarball_name(galaxy):
    """The file name `ansible-galaxy collection build` gives the artifact of galaxy.yml's version."""
    return "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])


def tarball_path(galaxy):
    return os.path.join(DIST, tarball_name(galaxy))


def report(check, failure_label):
    """Run check(), which returns one sentence on what holds or raises CheckFailed; print that sentence (with the
    time taken) or the failure, and return the exit code."""
    started = time.time()
    try:
        found = check()
    except CheckFailed as failure:
        print("%s FAILED: %s" % (failure_label, failure))
        return 1
    print("%s (%.1f s)" % (found, time.time() - started))
    return 0

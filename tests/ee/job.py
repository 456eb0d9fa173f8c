# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""THE JOB OF `make test-ee`: the one place where the execution-environment test names the demo's playbook, the
role it runs and the role's variables.

run_ee_test.py knows nothing of the role: it builds the image, renders the AWX credential, starts the emulator and
runs this job through ansible-runner. When the role or its input changes (for example the role
tim.chat.communities with communities_list), re-point this file, and only this file:

- PROJECT_FILES: the job's project, as AWX checks it out (name in the project: file of this checkout);
- PLAYBOOK and INVENTORY: the job template's playbook (in the project) and inventory;
- prepare(): what must exist in the Chat app before the job runs (today: nothing, the role creates the
  communities it declares, as `make demo` does);
- check_converged(): what the app must look like after the first run.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The demo's playbook and its input (docs/examples/provision.yml runs the role tim.chat.communities).
PROJECT_FILES = {
    "provision.yml": "docs/examples/provision.yml",
    "communities.yml": "docs/examples/communities.yml",
}
PLAYBOOK = "provision.yml"
INVENTORY = "docs/examples/inventory.yml"

# Where the playbook's communities are declared, and the role variable that holds them.
COMMUNITIES_FILE = "docs/examples/communities.yml"
COMMUNITIES_VARIABLE = "communities_list"


def communities():
    with open(os.path.join(REPO_ROOT, COMMUNITIES_FILE)) as handle:
        return yaml.safe_load(handle)[COMMUNITIES_VARIABLE]


def prepare(rest):
    """Nothing to make: the role creates the communities. Returns the IDs it declares."""
    return [community["group_id"] for community in communities()]


def check_converged(rest):
    """After the first run each community exists with its declared topics (and, with purge_topics, only those).
    Returns a list of problems, empty when the app is as declared."""
    problems = []
    for community in communities():
        declared = sorted(topic["topic_name"] for topic in community["topics"])
        found = sorted(topic["TopicName"] for topic in rest.topics(community["group_id"]))
        missing = sorted(set(declared) - set(found))
        if missing:
            problems.append("%s lacks the declared topics %s" % (community["group_id"], ", ".join(missing)))
        if community.get("purge_topics") and len(found) != len(declared):
            problems.append("%s has %d topics, %d declared (purge_topics: true)"
                            % (community["group_id"], len(found), len(declared)))
    return problems

# -*- coding: utf-8 -*-
"""Integration tests: real ansible-playbook runs of the tim.chat modules against a real emulator process."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml

from tests.emulator.launcher import start_emulator, start_webhook
from tests.emulator.server import COMMANDS
from tests.integration.tim_rest import RestClient

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "integration-secret-key-4f1b2c"
SDKAPPID = 1400000000
# Every command the emulator serves that changes the app (topics, groups, permission groups, accounts), from its own
# command table, so that a command added there is counted too.
WRITE_COMMANDS = frozenset(command for (_service, command), spec in COMMANDS.items() if spec.write)


class PlayResult:
    def __init__(self, returncode, stdout, stderr, results):
        self.rc = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    def task(self, name):
        matches = [entry for entry in self.results if entry["task"] == name]
        assert matches, "task %r has no result; rc=%s\n%s\n%s" % (name, self.rc, self.stdout[-3000:], self.stderr[-3000:])
        result = dict(matches[-1]["result"])
        result["failed"] = matches[-1]["status"] == "failed"
        return result

    def status(self, name):
        return [entry for entry in self.results if entry["task"] == name][-1]["status"]


class Emulator:
    """The running emulator plus what tests need around it."""

    def __init__(self, process):
        self.process = process
        self.url = process.url
        self.rest = RestClient(process.url, process.sdkappid, process.secret_key)

    def writes(self):
        """API calls of the write commands the emulator received since the last reset_stats."""
        calls = self.process.stats()["calls"]
        return sum(count for api, count in calls.items() if api.rsplit("/", 1)[-1] in WRITE_COMMANDS)

    def calls(self):
        return self.process.stats()["calls"]

    @property
    def connection(self):
        """This app's connection options, for a task that talks to it rather than to the play's module_defaults."""
        return dict(sdkappid=self.process.sdkappid, secret_key=self.process.secret_key, base_url=self.url)

    def community(self, **kwargs):
        return self.rest.create_community(**kwargs)

    def names(self, group_id):
        return sorted(topic["TopicName"] for topic in self.rest.topics(group_id))

    def __getattr__(self, name):
        return getattr(self.process, name)


@pytest.fixture(scope="session")
def emulator_process():
    process = start_emulator(sdkappid=SDKAPPID, secret_key=SECRET_KEY, strict=True)
    yield process
    process.stop()


@pytest.fixture
def emulator(emulator_process):
    emulator_process.configure(latency_ms=0, latency_spike_ms=0, latency_spike_rate=0, error_rates={},
                               http_502_rate=0, drop_rate=0, callback_url="", callback_token="", rate_limit=200,
                               require_accounts=False, app_defined_keys=[])
    emulator_process.reset_stats()
    return Emulator(emulator_process)


@pytest.fixture
def second_app():
    """Another Chat app (its own SDKAppID and key) on its own emulator, for copying from one app into another."""
    process = start_emulator(sdkappid=SDKAPPID + 77, secret_key="second-app-secret-key-9d3e", strict=True)
    yield Emulator(process)
    process.stop()


@pytest.fixture
def webhook():
    process = start_webhook(token="hook-token")
    yield process
    process.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "once: client logic that does not depend on ansible-core, run with the default "
                                       "ansible-core only (make test-matrix deselects it)")


def connection(emulator, **overrides):
    values = dict(sdkappid=emulator.process.sdkappid, secret_key=emulator.process.secret_key, base_url=emulator.url,
                  timeout=5, retries=5)
    values.update(overrides)
    return values


def run_play(tasks, emulator=None, check=False, diff=False, verbosity=0, module_defaults=None, env=None,
             extra_args=(), python=None):
    """Run ``tasks`` in a localhost play with the tim.chat connection set by module_defaults.

    The modules run with ``python`` (default: this test's interpreter) as ansible_python_interpreter.
    """
    defaults = dict(module_defaults or (connection(emulator) if emulator else {}))
    play = [dict(
        name="tim.chat integration",
        hosts="localhost",
        gather_facts=False,
        vars=dict(ansible_python_interpreter=python or sys.executable),
        module_defaults={"group/tim.chat.tim": defaults},
        tasks=tasks,
    )]
    workdir = tempfile.mkdtemp(prefix="tim-play-")
    playbook = os.path.join(workdir, "play.yml")
    results_path = os.path.join(workdir, "results.jsonl")
    with open(playbook, "w") as handle:
        yaml.safe_dump(play, handle, sort_keys=False, allow_unicode=True)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               "-c", "local", playbook]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if verbosity:
        command.append("-" + "v" * verbosity)
    command.extend(extra_args)
    environment = dict(os.environ)
    environment.update(
        TIM_TEST_RESULTS=results_path,
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="record_results",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    for variable in ("TIM_SDKAPPID", "TIM_SECRET_KEY", "TIM_USERSIG", "TIM_BASE_URL", "TIM_IDENTIFIER", "TIM_REGION"):
        environment.pop(variable, None)
    environment.update(env or {})
    process = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600, check=False)
    results = []
    if os.path.exists(results_path):
        with open(results_path) as handle:
            results = [json.loads(line) for line in handle]
    shutil.rmtree(workdir, ignore_errors=True)
    return PlayResult(process.returncode, process.stdout, process.stderr, results)


def module_task(module, name, register=None, ignore_errors=False, check_mode=None, **options):
    """One task of ``module`` (e.g. "tim.chat.tim_topic") with ``options``."""
    task = {"name": name, module: options}
    if register:
        task["register"] = register
    if ignore_errors:
        task["ignore_errors"] = True
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def tim_community_summary(result):
    """Per community of a tim_community result (or communities_result): {group_id: {community: what was done to it
    (None: nothing), changed, and per action (imported, created, modified, deleted) the number of its topics and
    their IDs (created_ids, ...)}}."""
    entries = {}

    def entry(group_id):
        return entries.setdefault(group_id, dict(
            changed=False, community=None, imported=0, created=0, modified=0, deleted=0, imported_ids=[],
            created_ids=[], modified_ids=[], deleted_ids=[]))

    for community in result.get("communities", []):
        entry(community["group_id"])
    for change in result["changes"]:
        if change["kind"] == "community":
            entry(change["id"])["community"] = change["action"]
        else:
            counts = entry(change["parent_id"])
            counts[change["action"]] += 1
            counts[change["action"] + "_ids"].append(change["id"])
        entry(change.get("parent_id", change["id"]))["changed"] = True
    return entries


def topic_task(name, ignore_errors=False, **options):
    return module_task("tim.chat.tim_topic", name, ignore_errors=ignore_errors, **options)


# The reliability and security matrix (test_matrix_*.py): its fixture and its summary lines.
from tests.integration.conftest_matrix import (  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
    matrix,
    pytest_runtest_logreport,
    pytest_terminal_summary,
)

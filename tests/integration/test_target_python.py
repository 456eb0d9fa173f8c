# -*- coding: utf-8 -*-
"""The modules on the target Pythons (README "Compatibility"): real plays whose modules run under another interpreter.

- Every target Python that the running ansible-core supports (its interpreter discovery list,
  INTERPRETER_PYTHON_FALLBACK: 3.8-3.13 for 2.19, 2.7 and 3.6-3.12 for 2.16) runs the three modules against the
  emulator from a virtualenv that holds nothing but ``requests``. A version that is not installed here is skipped,
  by name (pytest -rs).
- A Python without ``requests`` fails every module with the package to install, the host and the interpreter,
  before any API call.

TIM_TEST_TARGET_VENVS=dir keeps the target virtualenvs between runs (the Makefile sets it under .build/);
without it they are made in a temporary directory.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
from ansible import constants as C
from ansible.release import __version__ as ANSIBLE_CORE_VERSION

from tests.integration.conftest import run_play, topic_task


def target_versions():
    """The target Pythons of the running ansible-core, oldest first."""
    versions = set()
    for entry in C.config.get_config_value("INTERPRETER_PYTHON_FALLBACK"):
        match = re.match(r"^python(\d\.\d+)$", entry)
        if match:
            versions.add(match.group(1))
    return sorted(versions, key=lambda version: tuple(int(part) for part in version.split(".")))


TARGET_VERSIONS = target_versions()


def find_python(version):
    """An interpreter of ``version`` (X.Y) that runs: pyenv's first (its shims may not), then PATH."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version)))
    on_path = shutil.which("python" + version)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        try:
            probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=60, check=False)
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def _run(command):
    process = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = process.stdout[-3000:] + process.stderr[-3000:]
    assert process.returncode == 0, "%s failed:\n%s" % (" ".join(command), output)


@pytest.fixture(scope="session")
def venv_root(tmp_path_factory):
    root = os.environ.get("TIM_TEST_TARGET_VENVS")
    if root:
        os.makedirs(root, exist_ok=True)
        return root
    return str(tmp_path_factory.mktemp("target-venvs"))


def venv_with_requests(root, version, base_python):
    """``root``/python``version``: a virtualenv of ``base_python`` holding requests and nothing else; made once.

    The target's own pip is not used: Python 2.7 and 3.6 come with pips too old to choose the releases that
    still support them. This pip installs for the target's version into its site-packages instead (requests
    2.25.1 or 2.27.1 on 2.7, 2.27.1 on 3.6).
    """
    path = os.path.join(root, "python" + version)
    python = os.path.join(path, "bin", "python")
    check = [python, "-c", "import requests, sys; assert '%d.%d' % sys.version_info[:2] == '" + version + "'"]
    if os.path.exists(python) and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    building = tempfile.mkdtemp(prefix="python%s-" % version, dir=root)
    if version.startswith("2."):
        # No venv module on Python 2: virtualenv 16 (the last to make 2.7 environments) from this Python.
        _run([sys.executable, "-m", "virtualenv", "--quiet", "--no-pip", "--no-setuptools", "--no-wheel",
              "--python", base_python, building])
    else:
        _run([base_python, "-m", "venv", "--without-pip", building])
    purelib = subprocess.run([os.path.join(building, "bin", "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", purelib,
          "--python-version", version, "--only-binary=:all:", "requests>=2.25"])
    shutil.rmtree(path, ignore_errors=True)
    # Built aside, then moved into place: a half-made venv is never taken for a ready one. Moving is safe, as the
    # interpreter finds its prefix next to itself, and this venv has no scripts that would name the old place.
    os.rename(building, path)
    _run(check)
    return python


def module_task(module, name, ignore_errors=False, **options):
    task = {"name": name, "tim.chat." + module: options}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


# The target Pythons of the ansible-core versions make test runs, as README "Compatibility" lists them.
DOCUMENTED_TARGETS = {
    "2.16": ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12"],
    "2.19": ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"],
    "2.21": ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"],
}


def test_target_versions_come_from_ansible_core():
    assert TARGET_VERSIONS, "ansible-core %s lists no pythonX.Y in INTERPRETER_PYTHON_FALLBACK" % ANSIBLE_CORE_VERSION
    documented = DOCUMENTED_TARGETS.get(".".join(ANSIBLE_CORE_VERSION.split(".")[:2]))
    assert documented in (None, TARGET_VERSIONS)


@pytest.mark.parametrize("version", TARGET_VERSIONS)
def test_modules_run_on_target_python(emulator, webhook, venv_root, version):
    base = find_python(version)
    if base is None:
        pytest.skip("Python %s (a target of ansible-core %s) is not installed here" % (version, ANSIBLE_CORE_VERSION))
    python = venv_with_requests(venv_root, version, base)
    group = emulator.community()
    target = emulator.community()
    webhook.configure(refuse={"禁止": 1})
    emulator.configure(callback_url=webhook.url, callback_token="hook-token")
    emulator.reset_stats()
    topics = [
        dict(topic_name="General"),
        dict(topic_name="帮助中心", introduction="问题与回答"),
        dict(topic_id=group + "@TOPIC#_news", topic_name="News", mute_all_member=True),
        dict(topic_name="Off-topic", notification="Be kind"),
    ]
    play = run_play([
        {"name": "python", "ansible.builtin.setup": {"gather_subset": ["!all", "!min", "python"]}},
        topic_task("create", group_id=group, topics=topics, concurrency=4),
        topic_task("again", group_id=group, topics=topics),
        topic_task("refused", ignore_errors=True, group_id=group, topic_name="禁止"),
        topic_task("too long", ignore_errors=True, group_id=group, topic_name="这个话题的名称超过三十个字节"),
        module_task("tim_topic_info", "read", group_id=group),
        module_task("tim_topic_import", "import", group_id=target,
                    topics=[dict(topic_name="导入的话题", create_time=1700000000), dict(topic_name="Imported")]),
    ], emulator, python=python)
    assert play.rc == 0, play.stdout[-3000:] + play.stderr[-3000:]

    facts = play.task("python")["ansible_facts"]["ansible_python"]
    assert "%d.%d" % tuple(facts["version_info"][:2]) == version
    assert facts["executable"] == python

    created = play.task("create")
    assert created["changed"] and not created["failed"] and len(created["created"]) == 4, created
    again = play.task("again")
    assert not again["changed"] and not again["failed"] and again["created"] == again["modified"] == []
    refused = play.task("refused")
    assert refused["failed"] and refused["error_code"] == 10016
    assert "webhook refused creating topic '禁止'" in refused["msg"]
    too_long = play.task("too long")
    assert too_long["failed"] and "topic_name is 42 bytes in UTF-8, more than the 30 allowed" in too_long["msg"]
    assert "这个话题的名称超过三十个字节" in too_long["msg"]

    read = sorted(play.task("read")["topics"], key=lambda topic: topic["topic_name"])
    assert [topic["topic_name"] for topic in read] == ["General", "News", "Off-topic", "帮助中心"]
    assert [topic["mute_all_member"] for topic in read] == [False, True, False, False]
    assert read[3]["introduction"] == "问题与回答"
    imported = play.task("import")
    assert imported["changed"] and len(imported["imported"]) == 2
    assert emulator.names(target) == ["Imported", "导入的话题"]
    assert emulator.names(group) == ["General", "News", "Off-topic", "帮助中心"]


def test_without_requests_every_module_names_package_host_and_interpreter(emulator, tmp_path):
    venv = str(tmp_path / "no-requests")
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = os.path.join(venv, "bin", "python")
    assert subprocess.run([python, "-c", "import requests"], capture_output=True, check=False).returncode != 0
    group = "@TGS#_@TGS#cQVLVHIM62CJ"
    emulator.reset_stats()
    play = run_play([
        module_task("tim_topic", "tim_topic", ignore_errors=True, group_id=group, topic_name="General"),
        module_task("tim_topic_info", "tim_topic_info", ignore_errors=True, group_id=group),
        module_task("tim_topic_import", "tim_topic_import", ignore_errors=True, group_id=group,
                    topics=[dict(topic_name="General")]),
    ], emulator, python=python)
    for module in ("tim_topic", "tim_topic_info", "tim_topic_import"):
        result = play.task(module)
        assert result["failed"], result
        message = result["msg"]
        assert message.startswith("Failed to import the required Python library (requests) on %s's Python %s."
                                  % (platform.node(), python)), message
        assert "install the Python package requests for this interpreter on that host, for example with " \
               "%s -m pip install requests" % python in message
    assert emulator.calls() == {}

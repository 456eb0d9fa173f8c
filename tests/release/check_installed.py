# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release check (make release-install): build the collection artifact, check what is in it, install it into an
empty collections path and use it against the Chat REST API emulator.

1. `ansible-galaxy collection build` into .build/release/dist/.
2. The tarball: MANIFEST.json names galaxy.yml's namespace, name and version; no development file is in it
   (FORBIDDEN, galaxy.yml's build_ignore); every file of plugins/, roles/, meta/ and changelogs/ of the checkout
   is; it stays under MAX_BYTES and MAX_FILES (a stray virtualenv or build tree would not).
3. `ansible-galaxy collection install` of the tarball into .build/release/collections/ (emptied first).
4. Isolation: with ANSIBLE_COLLECTIONS_PATH at an empty directory, no sys.path scan and a private ANSIBLE_HOME,
   tim.chat is not found at all; with it at the install path, ansible-doc resolves the modules there.
5. Start the emulator (tests.emulator.launcher), create a community the way an app server does (create_group,
   Type Community, SupportTopic 1) with one topic, and run tests/release/installed.yml with that environment:
   tim_topic, tim_topic_info and the communities role, all from the installed copy.

Exit code 0 when all of it holds; otherwise a message that says what is wrong.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.emulator.launcher import start_emulator  # noqa: E402  (needs the checkout on sys.path)
from tests.integration.tim_rest import RestClient  # noqa: E402
from tests.release.common import (  # noqa: E402
    CheckFailed, DIST, RELEASE, REPO_ROOT, galaxy_metadata, report, step, tarball_path)

INSTALLED = os.path.join(RELEASE, "collections")
EMPTY = os.path.join(RELEASE, "empty-collections")
ANSIBLE_HOME = os.path.join(RELEASE, "ansible-home")
BIN = os.path.dirname(sys.executable)
SDKAPPID = 1400000000
GROUP_ID = "@TGS#_release-check"

# The artifact is about 100 kB with ~90 files today; these budgets leave room to grow, not for a .venv.
MAX_BYTES = 400 * 1024
MAX_FILES = 250
# Paths (inside the tarball) that are development files and must never be shipped.
FORBIDDEN = [
    ".venv/*", ".build/*", ".git/*", ".ansible/*", ".ci/*", ".pytest_cache/*", "bench/*", "tests/output/*",
    "tests/release/*", "tests/ee/*", "*/__pycache__/*", "*.pyc", "*.tar.gz", "Makefile", "requirements-dev.txt",
    "requirements-demo.txt", ".gitignore",
    "docs/render_docs.py", "tests/sanity/pip_bootstrap.py",
]
# Directories of the checkout whose every file must be in the artifact.
SHIPPED_TREES = ["plugins", "roles", "meta", "changelogs", "docs/modules"]
REQUIRED = ["MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml", "meta/execution-environment.yml",
            "meta/ee-requirements.txt", "roles/communities/meta/argument_specs.yml"]


def isolated_env(collections_path, **extra):
    """An environment in which ansible sees only `collections_path`: no PYTHONPATH (the Makefile puts the
    checkout's link there, and ansible scans sys.path for collections), no sys.path scan, no ~/.ansible."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("ANSIBLE_", "TIM_")) or name == "PYTHONPATH":
            del env[name]
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_HOME=ANSIBLE_HOME, ANSIBLE_NOCOWS="1", ANSIBLE_RETRY_FILES_ENABLED="false",
               ANSIBLE_FORCE_COLOR="false", ANSIBLE_NOCOLOR="true", ANSIBLE_DEPRECATION_WARNINGS="false")
    env.update(extra)
    return env


def run(command, env, cwd=RELEASE, check=True):
    process = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, check=False, timeout=600)
    if check and process.returncode != 0:
        raise CheckFailed("%s failed (exit code %d):\n%s" % (" ".join(command[:4]), process.returncode,
                                                             process.stdout[-6000:]))
    return process


def build(galaxy):
    step("ansible-galaxy collection build --output-path .build/release/dist")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", DIST, REPO_ROOT],
        isolated_env(EMPTY))
    tarball = tarball_path(galaxy)
    if not os.path.isfile(tarball):
        raise CheckFailed("the build wrote no %s (found %s)" % (tarball, os.listdir(DIST)))
    return tarball


def checkout_files(tree):
    files = []
    for directory, subdirs, names in os.walk(os.path.join(REPO_ROOT, tree)):
        subdirs[:] = [name for name in subdirs if name != "__pycache__"]
        for name in names:
            if not name.endswith(".pyc"):
                files.append(os.path.relpath(os.path.join(directory, name), REPO_ROOT).replace(os.sep, "/"))
    return files


def check_tarball(tarball, galaxy):
    step("contents of %s" % os.path.relpath(tarball, REPO_ROOT))
    with tarfile.open(tarball) as archive:
        members = archive.getmembers()
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    names = [member.name[2:] if member.name.startswith("./") else member.name for member in members]
    files = set(member_name for member, member_name in zip(members, names) if member.isfile())
    size = os.path.getsize(tarball)
    problems = []

    info = manifest["collection_info"]
    for key in ("namespace", "name", "version"):
        if info[key] != galaxy[key]:
            problems.append("MANIFEST.json %s is %r, galaxy.yml says %r" % (key, info[key], galaxy[key]))
    shipped_dev = sorted(name for name in names
                         if any(fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name + "/", pattern)
                                for pattern in FORBIDDEN))
    if shipped_dev:
        problems.append("development files in the artifact (add them to galaxy.yml's build_ignore): %s"
                        % ", ".join(shipped_dev[:20]))
    missing = sorted(set(REQUIRED + [name for tree in SHIPPED_TREES for name in checkout_files(tree)]) - files)
    if missing:
        problems.append("files missing from the artifact: %s" % ", ".join(missing))
    links = sorted(name for member, name in zip(members, names) if member.issym() or member.islnk())
    if links:
        problems.append("links in the artifact: %s" % ", ".join(links))
    if size > MAX_BYTES or len(files) > MAX_FILES:
        problems.append("the artifact has %d files and %d bytes (budget %d files, %d bytes): what got in?"
                        % (len(files), size, MAX_FILES, MAX_BYTES))
    if problems:
        raise CheckFailed("the built collection is not releasable:\n  - " + "\n  - ".join(problems))
    print("   %d files, %d bytes; no development files; plugins/, roles/, meta/, changelogs/, docs/modules/ complete"
          % (len(files), size))


def install(tarball):
    step("ansible-galaxy collection install into an empty .build/release/collections")
    shutil.rmtree(INSTALLED, ignore_errors=True)
    os.makedirs(INSTALLED)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", INSTALLED, tarball],
        isolated_env(EMPTY))
    root = os.path.join(INSTALLED, "ansible_collections", "tim", "chat")
    if os.path.islink(root) or not os.path.isfile(os.path.join(root, "MANIFEST.json")):
        raise CheckFailed("%s is not an installed collection" % root)
    return root


def check_isolation(root):
    step("isolation: tim.chat resolves from the installed copy only")
    doc = [os.path.join(BIN, "ansible-doc"), "-t", "module", "--json", "tim.chat.tim_topic_info"]
    nowhere = run(doc, isolated_env(EMPTY), check=False)
    if "not found" not in nowhere.stdout:
        raise CheckFailed("with an empty collections path tim.chat was still found, so this check would not "
                          "prove anything about the installed copy:\n" + nowhere.stdout[-3000:])
    found = run(doc, isolated_env(INSTALLED))
    filename = json.loads(found.stdout)["tim.chat.tim_topic_info"]["doc"]["filename"]
    if not os.path.realpath(filename).startswith(os.path.realpath(root) + os.sep):
        raise CheckFailed("ansible-doc resolved tim.chat.tim_topic_info to %s, not to the installed copy" % filename)
    print("   not found with an empty collections path; found at %s" % os.path.relpath(filename, REPO_ROOT))


def run_installed(root):
    secret_key = secrets.token_hex(16)
    step("tests/release/installed.yml with the installed collection against the emulator")
    emulator = start_emulator(sdkappid=SDKAPPID, secret_key=secret_key)
    try:
        client = RestClient(emulator.url, SDKAPPID, secret_key)
        client.create_community(GROUP_ID, name="release check")
        client.create_topic(GROUP_ID, "Seeded")
        emulator.reset_stats()
        env = isolated_env(INSTALLED, TIM_SDKAPPID=str(SDKAPPID), TIM_BASE_URL=emulator.url)
        playbook = run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                        "-e", "ansible_python_interpreter=%s" % sys.executable,
                        "-e", json.dumps(dict(release_group_id=GROUP_ID, release_secret_key=secret_key)),
                        os.path.join(REPO_ROOT, "tests", "release", "installed.yml")], env, check=False)
        if playbook.returncode != 0:
            raise CheckFailed("the playbook failed with the installed collection (exit code %d):\n%s"
                              % (playbook.returncode, playbook.stdout[-6000:]))
        calls = emulator.stats()["calls"]
        created = sum(count for api, count in calls.items() if api.endswith("/create_topic"))
        if created != 1:
            raise CheckFailed("the emulator served %d create_topic calls, expected 1: %s" % (created, calls))
        topics = sorted(topic["TopicName"] for topic in client.topics(GROUP_ID))
        if topics != ["Release check", "Seeded"]:
            raise CheckFailed("the community has the topics %s after the run" % topics)
    finally:
        emulator.stop()
    recap = [line for line in playbook.stdout.splitlines() if line.startswith("localhost")]
    print("   %s" % (recap[-1].strip() if recap else "(no recap)"))


def check():
    galaxy = galaxy_metadata()
    for path in (DIST, EMPTY, ANSIBLE_HOME):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    tarball = build(galaxy)
    check_tarball(tarball, galaxy)
    root = install(tarball)
    check_isolation(root)
    run_installed(root)
    return "Release check OK: %s builds, installs and runs from the installed copy" % os.path.basename(tarball)


def main():
    return report(check, "RELEASE CHECK")


if __name__ == "__main__":
    sys.exit(main())

# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release check (make release-ee): the collection works in an AWX / Automation Controller execution environment.
No container runtime needed; it runs what ansible-builder runs, minus the image.

meta/execution-environment.yml is the collection's execution-environment metadata: ansible-builder reads it from
the installed collection, with paths relative to the collection root. docs/examples/execution-environment.yml is
an execution environment definition that installs the collection. This check:

1. validates meta/execution-environment.yml with ansible-builder's own schema; its python file exists relative to
   the collection root, lists lower bounds only (ansible-builder merges them with other collections'), and names
   the same packages as requirements.txt;
2. copies docs/examples/execution-environment.yml and the tarball of `make release-install` into .build/ee/ and
   runs `ansible-builder create` there (the build context goes to .build/ee/context); the definition must name
   the tarball of galaxy.yml's version;
3. does the image's galaxy stage: `ansible-galaxy collection install -r requirements.yml` inside the context's
   _build/ (WORKDIR /build in the image), into .build/ee/usr-share-ansible;
4. does the image's builder stage: the context's own scripts/introspect.py on that install must yield the
   packages of meta/ee-requirements.txt, attributed to tim.chat.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.release.common import (  # noqa: E402  (needs the checkout on sys.path)
    CheckFailed, REPO_ROOT, galaxy_metadata, report, step, tarball_name, tarball_path)

BIN = os.path.dirname(sys.executable)
EE = os.path.join(REPO_ROOT, ".build", "ee")
CONTEXT = os.path.join(EE, "context")
STAGE = os.path.join(EE, "usr-share-ansible")
EXAMPLE = os.path.join(REPO_ROOT, "docs", "examples", "execution-environment.yml")
CAPPED = re.compile(r"(==|<|~=|===)")


def requirement_lines(path):
    with open(path) as handle:
        return [line.split("#", 1)[0].strip() for line in handle if line.split("#", 1)[0].strip()]


def package_name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement, 1)[0].strip().lower().replace("_", "-")


def run(command, cwd, env=None):
    process = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             check=False, timeout=300)
    if process.returncode != 0:
        raise CheckFailed("%s failed (exit code %d):\n%s" % (" ".join(command[:3]), process.returncode,
                                                             process.stdout[-4000:]))
    return process.stdout


def check_metadata():
    step("meta/execution-environment.yml: ansible-builder schema, requirement files")
    from ansible_builder.ee_schema import validate_schema
    from ansible_builder.exceptions import DefinitionError

    with open(os.path.join(REPO_ROOT, "meta", "execution-environment.yml")) as handle:
        metadata = yaml.safe_load(handle)
    try:
        validate_schema(metadata)
    except DefinitionError as error:
        raise CheckFailed("ansible-builder rejects meta/execution-environment.yml: %s" % error)
    python = (metadata.get("dependencies") or {}).get("python")
    if not isinstance(python, str) or os.path.isabs(python):
        raise CheckFailed("meta/execution-environment.yml: dependencies.python must be a file path relative to the "
                          "collection root (ansible-builder reads it from the installed collection), not %r" % python)
    path = os.path.join(REPO_ROOT, python)
    if not os.path.isfile(path):
        raise CheckFailed("meta/execution-environment.yml names %s, which does not exist (relative to the "
                          "collection root)" % python)
    wanted = requirement_lines(path)
    capped = [line for line in wanted if CAPPED.search(line)]
    if capped:
        raise CheckFailed("%s pins or caps %s: give lower bounds only, so that ansible-builder can merge them with "
                          "other collections' requirements" % (python, ", ".join(capped)))
    root = requirement_lines(os.path.join(REPO_ROOT, "requirements.txt"))
    if sorted(wanted) != sorted(root):
        raise CheckFailed("%s (%s) and requirements.txt (%s) disagree" % (python, wanted, root))
    print("   valid; python: %s -> %s" % (python, ", ".join(wanted)))
    return wanted


def create_context(galaxy):
    step("ansible-builder create -f docs/examples/execution-environment.yml (context: .build/ee/context)")
    artifact = tarball_name(galaxy)
    tarball = tarball_path(galaxy)
    if not os.path.isfile(tarball):
        raise CheckFailed("%s is missing: run make release-install first" % tarball)
    with open(EXAMPLE) as handle:
        example = handle.read()
    if example.count(artifact) < 2:
        raise CheckFailed("docs/examples/execution-environment.yml must name %s (galaxy.yml's version) in "
                          "additional_build_files and dependencies.galaxy" % artifact)
    shutil.rmtree(EE, ignore_errors=True)
    os.makedirs(EE)
    shutil.copy(EXAMPLE, os.path.join(EE, "execution-environment.yml"))
    shutil.copy(tarball, os.path.join(EE, artifact))
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", CONTEXT,
         "--output-filename", "Containerfile"], cwd=EE)
    for name in ("Containerfile", "_build/requirements.yml", "_build/collections/" + artifact,
                 "_build/scripts/introspect.py"):
        if not os.path.isfile(os.path.join(CONTEXT, name)):
            raise CheckFailed("ansible-builder create wrote no %s" % name)
    print("   context written: Containerfile, _build/requirements.yml, _build/collections/%s" % artifact)


def galaxy_stage():
    step("galaxy stage: ansible-galaxy collection install -r requirements.yml (in _build/, as in the image)")
    shutil.rmtree(STAGE, ignore_errors=True)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(ANSIBLE_HOME=os.path.join(EE, "ansible-home"), ANSIBLE_COLLECTIONS_PATH=STAGE,
               ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-r", "requirements.yml",
         "--collections-path", STAGE], cwd=os.path.join(CONTEXT, "_build"), env=env)
    if not os.path.isfile(os.path.join(STAGE, "ansible_collections", "tim", "chat", "MANIFEST.json")):
        raise CheckFailed("the galaxy stage did not install tim.chat into %s" % STAGE)


def builder_stage(wanted):
    step("builder stage: _build/scripts/introspect.py on the installed collections")
    pip_file = os.path.join(EE, "introspected-requirements.txt")
    run([sys.executable, os.path.join(CONTEXT, "_build", "scripts", "introspect.py"), "introspect", "--sanitize",
         "--write-pip", pip_file, STAGE], cwd=EE)
    with open(pip_file) as handle:
        found = [line.strip() for line in handle if line.strip()]
    from_us = [line.split("#", 1)[0].strip() for line in found if "from collection tim.chat" in line]
    missing = sorted(set(package_name(w) for w in wanted) - set(package_name(f) for f in from_us))
    if missing:
        raise CheckFailed("ansible-builder would not install %s for tim.chat; introspection found: %s"
                          % (", ".join(missing), found))
    print("   the image gets: %s" % "; ".join(found))


def check():
    wanted = check_metadata()
    create_context(galaxy_metadata())
    galaxy_stage()
    builder_stage(wanted)
    return "Execution environment check OK"


def main():
    return report(check, "EXECUTION ENVIRONMENT CHECK")


if __name__ == "__main__":
    sys.exit(main())

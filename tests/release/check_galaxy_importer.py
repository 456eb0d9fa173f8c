# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release check (make release-galaxy): the built tarball passes galaxy-importer, the check that Ansible Galaxy and
Automation Hub run on every upload.

galaxy-importer (the version pinned in tests/release/requirements-galaxy-importer.txt) runs from a venv of its own
(--importer-venv; it caps attrs, flake8 and ansible-lint below what the development venv has), with
tests/release/galaxy-importer.cfg, on the tarball `make release-install` built (.build/release/dist/). It reads
galaxy.yml's metadata, renders README.md and every role's README, loads every module's documentation with
ansible-doc and runs ansible-lint over the collection. This check:

1. runs `python -m galaxy_importer.main TARBALL` in .build/release/galaxy-importer/ (where it writes
   importer_result.json), with nothing of this checkout or ~/.ansible in its environment;
2. fails when the import fails, or when it logs any ERROR or WARNING (Galaxy shows the warnings on the collection's
   import log: a stale role name in an example playbook, a module ansible-doc cannot load, ...);
3. checks importer_result.json: every module of plugins/modules/ with its documentation, every role of roles/ with
   its README, the collection README rendered, and galaxy.yml's repository, issues, documentation and homepage.

Exit code 0 when all of it holds; otherwise a message that says what is wrong.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.release.common import (  # noqa: E402  (needs the checkout on sys.path)
    CheckFailed, RELEASE, REPO_ROOT, galaxy_metadata, report, step, tarball_path)

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(RELEASE, "galaxy-importer")
CONFIG = os.path.join(HERE, "galaxy-importer.cfg")
URL_KEYS = ("repository", "issues", "documentation", "homepage")


def importer_env(venv):
    """galaxy-importer's venv first on PATH (it runs ansible-doc and ansible-lint from there), its config, and an
    ANSIBLE_HOME and temporary directories of its own; no ANSIBLE_*, TIM_* or PYTHONPATH of the caller (the Makefile
    puts this checkout's collection link on PYTHONPATH)."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("ANSIBLE_", "TIM_", "GALAXY_IMPORTER_")) or name in ("PYTHONPATH", "VIRTUAL_ENV"):
            del env[name]
    env.update(
        PATH=os.path.join(venv, "bin") + os.pathsep + env.get("PATH", ""),
        GALAXY_IMPORTER_CONFIG=CONFIG,
        GALAXY_IMPORTER_TMP_ROOT_DIR=os.path.join(WORK, "tmp"),
        GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=os.path.join(WORK, "ansible-home", "tmp"),
        ANSIBLE_HOME=os.path.join(WORK, "ansible-home"),
        ANSIBLE_NOCOLOR="true", NO_COLOR="1",
    )
    return env


def run_importer(venv, tarball):
    python = os.path.join(venv, "bin", "python")
    version = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('galaxy-importer'))"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if version.returncode != 0:
        raise CheckFailed("galaxy-importer is not installed in %s: %s" % (venv, version.stdout.strip()))
    step("galaxy-importer %s on %s" % (version.stdout.strip(), os.path.relpath(tarball, REPO_ROOT)))
    shutil.rmtree(WORK, ignore_errors=True)
    for path in (WORK, os.path.join(WORK, "tmp"), os.path.join(WORK, "ansible-home", "tmp")):
        os.makedirs(path)
    process = subprocess.run([python, "-m", "galaxy_importer.main", tarball], cwd=WORK, env=importer_env(venv),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, timeout=900)
    lines = process.stdout.splitlines()
    for line in lines:
        if not line.startswith("Loading "):   # one line per module and module_utils: the content is checked below
            print("   %s" % line)
    problems = [line for line in lines if line.startswith(("ERROR", "WARNING", "Traceback"))]
    if process.returncode != 0 or problems or "Importer processing completed successfully" not in lines:
        raise CheckFailed("galaxy-importer did not import the collection cleanly (exit code %d); Galaxy would %s:\n  %s"
                          % (process.returncode, "refuse it" if process.returncode else "show these",
                             "\n  ".join(problems or lines[-20:])))
    with open(os.path.join(WORK, "importer_result.json")) as handle:
        return json.load(handle)


def check_result(result, galaxy):
    step("what galaxy-importer found: metadata, modules with their documentation, roles with their README")
    problems = []
    metadata = result["metadata"]
    for key in URL_KEYS:
        if not metadata.get(key) or metadata.get(key) != galaxy.get(key):
            problems.append("metadata %s is %r (galaxy.yml: %r)" % (key, metadata.get(key), galaxy.get(key)))
    blob = result["docs_blob"]
    readme = blob.get("collection_readme") or {}
    if readme.get("name") != "README.md" or not readme.get("html"):
        problems.append("the collection README was not rendered (%r)" % readme.get("name"))
    found = dict(((item["content_type"], item["content_name"]), item) for item in blob["contents"])
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules"))
                     if name.endswith(".py") and not name.startswith("_"))
    roles = sorted(name for name in os.listdir(os.path.join(REPO_ROOT, "roles"))
                   if os.path.isdir(os.path.join(REPO_ROOT, "roles", name)))
    for name in modules:
        docs = (found.get(("module", name)) or {}).get("doc_strings") or {}
        if not all(docs.get(part) for part in ("doc", "examples", "return")):
            problems.append("module %s: no documentation loaded (has %s)" % (name, sorted(docs) or "nothing"))
    for name in roles:
        role = found.get(("role", name)) or {}
        if role.get("readme_file") != "README.md" or not role.get("readme_html"):
            problems.append("role %s: no README rendered" % name)
    if problems:
        raise CheckFailed("the import result is incomplete:\n  - " + "\n  - ".join(problems))
    print("   modules %s with their documentation; roles %s with their README; %s"
          % (", ".join(modules), ", ".join(roles), ", ".join("%s %s" % (key, metadata[key]) for key in URL_KEYS)))


def main():
    parser = argparse.ArgumentParser(description="galaxy-importer on the built tarball (make release-galaxy)")
    parser.add_argument("--importer-venv", required=True, help="the venv galaxy-importer is installed in")
    args = parser.parse_args()

    def check():
        galaxy = galaxy_metadata()
        tarball = tarball_path(galaxy)
        if not os.path.isfile(tarball):
            raise CheckFailed("no %s: `make release-install` builds it" % os.path.relpath(tarball, REPO_ROOT))
        check_result(run_importer(os.path.abspath(args.importer_venv), tarball), galaxy)
        return "Release check OK: galaxy-importer imports %s with no error and no warning" % os.path.basename(tarball)
    return report(check, "RELEASE CHECK")


if __name__ == "__main__":
    sys.exit(main())

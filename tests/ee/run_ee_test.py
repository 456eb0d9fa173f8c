# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""make test-ee: build the execution environment of docs/examples/execution-environment.yml and run the demo in it
the way AWX does, against the API emulator.

1. Tools: podman, runc and debootstrap, installed with apt-get when missing (as root, as CI runs). podman uses
   tests/ee/containers.conf (CONTAINERS_CONF), never the machine's own configuration.
2. Base image: no container registry is reachable here, so the UBI 9 base of the definition is replaced by a Debian
   bookworm image made from Debian packages by tests/ee/base-image.sh, tagged with the recipe's hash: made again
   only when the recipe changes.
3. Execution environment: `ansible-builder build` of the one definition users build, with the collection's tarball,
   overriding only the base image and the package manager (--build-arg EE_BASE_IMAGE=... PKGMGR=/usr/bin/apt-get).
   Tagged with the hash of the build context (definition, ansible-builder's scripts, the collection's MANIFEST.json,
   which holds the checksum of every file) and the base image: a second run with the same inputs builds nothing.
4. `ansible-doc` of every module and role of the collection, inside the image; the image's size.
5. The job, as AWX runs it in a container group: the custom credential type of docs/examples/awx/credential_type.yml
   rendered the way AWX renders injectors into the job's environment; `ansible-runner transmit` on this machine,
   `ansible-runner worker` inside the image (podman run --network host, the emulator on 127.0.0.1 here),
   `ansible-runner process` here. The job itself (playbook, role, communities) is tests/ee/job.py.
   The first run must converge; the rerun must change nothing and make no write call (the emulator's counters).
6. Secrets: the secret key and any UserSig must appear in no job event, no artifact, no stdout and nowhere in what
   the worker sends back, except as the value of TIM_SECRET_KEY in the job's environment (ansible-runner's `command`
   artifact and `starting` status, which AWX stores with the secret values replaced by ********).

Options: --rebuild (ignore the cached images), --keep (keep .build/ee-test/jobs for a look), --clean (remove the
images of this test: make clean-ee).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import base64
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO_ROOT)

from tests.ee import job  # noqa: E402  (needs REPO_ROOT on sys.path)
from tests.emulator.launcher import start_emulator  # noqa: E402
from tests.integration.tim_rest import RestClient  # noqa: E402

BIN = os.path.dirname(sys.executable)
WORK = os.path.join(REPO_ROOT, ".build", "ee-test")
CONTAINERS_CONF = os.path.join(HERE, "containers.conf")
BASE_RECIPE = os.path.join(HERE, "base-image.sh")
DEFINITION = os.path.join(REPO_ROOT, "docs", "examples", "execution-environment.yml")
CREDENTIAL_TYPE = os.path.join(REPO_ROOT, "docs", "examples", "awx", "credential_type.yml")
BASE_REPOSITORY = "localhost/tim-chat-ee-base"
EE_REPOSITORY = "localhost/tim-chat-ee"
# The definition's python_interpreter is installed with $PKGMGR (dnf on UBI 9); on the Debian base it is apt-get,
# for which `apt-get install python3.11 -y` is a no-op (the base image has it) and `apt-get clean all` works.
BASE_BUILD_ARGS = {"PKGMGR": "/usr/bin/apt-get"}
# The machine-wide lock around image builds: podman's image store is the machine's, shared by every checkout.
LOCK = "/var/tmp/tim-chat-ee-test.lock"
TOOLS = ("podman", "runc", "debootstrap")
SDKAPPID = 1400000000
ADMIN = "administrator"
# The Chat API hosts (SPEC section 2). Inside the job's container they resolve to 127.0.0.1, so that a job that
# ignored TIM_BASE_URL would fail on a refused connection instead of calling a real Chat app.
API_HOSTS = ("console.tim.qq.com", "adminapisgp.im.qcloud.com", "adminapikr.im.qcloud.com", "adminapijpn.im.qcloud.com",
             "adminapiger.im.qcloud.com", "adminapiind.im.qcloud.com", "adminapiusa.im.qcloud.com",
             "adminapiidn.im.qcloud.com")
REGIONS = ["china", "singapore", "seoul", "tokyo", "frankfurt", "mumbai", "silicon_valley", "jakarta"]
# What a UserSig looks like: base64 of zlib data (which starts with 0x78 0x9c: "eJ"), with + / = written as * - _,
# perhaps URL-quoted (* as %2A). A real one is 150+ characters; 40 leaves no room for a fragment.
USERSIG_TOKEN = re.compile(rb"eJ(?:[0-9A-Za-z*_\-]|%2[aA])+")
USERSIG_MIN_LENGTH = 40
# AWX's rendering of a secret input in the job's stored environment (awx.main.constants.HIDDEN_PASSWORD).
HIDDEN = "**********"


class TestFailed(Exception):
    pass


def step(message):
    print("== %s" % message, flush=True)


def podman_env():
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = CONTAINERS_CONF
    return env


def run(command, timeout=600, log=None, **kwargs):
    """Run a command; its output goes to `log` (a path) or is returned. Fails with the output's tail."""
    kwargs.setdefault("env", podman_env())
    if log:
        with open(log, "wb") as handle:
            process = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, check=False,
                                     **kwargs)
        with open(log, "rb") as handle:
            output = handle.read().decode("utf-8", "replace")
    else:
        process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                                 check=False, **kwargs)
        output = process.stdout.decode("utf-8", "replace")
    if process.returncode != 0:
        raise TestFailed("%s failed (exit code %d)%s:\n%s" % (" ".join(command[:4]), process.returncode,
                                                              " (log: %s)" % log if log else "", output[-5000:]))
    return output


# 1. Tools ---------------------------------------------------------------------------------------------------------

def ensure_tools():
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise TestFailed("make test-ee needs %s; as root it installs them: apt-get install podman runc debootstrap"
                         % ", ".join(missing))
    step("installing %s (apt-get)" % ", ".join(missing))
    started = time.time()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "podman", "runc", "debootstrap"], env=env)
    print("   installed in %.0f s" % (time.time() - started))


def image_exists(tag):
    return subprocess.run(["podman", "image", "exists", tag], env=podman_env(), check=False).returncode == 0


def remove_other_tags(repository, keep):
    """Untag the older images of `repository` (ours only), so the store holds one base and one EE of this test; not
    those that a running `make test-ee` holds (tag in-use-PID)."""
    output = run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}", repository])
    old = []
    for line in output.splitlines():
        name = line.strip()
        if not name.startswith(repository + ":") or name == keep:
            continue
        holder = name.rsplit(":in-use-", 1)
        if len(holder) == 2 and holder[1].isdigit() and os.path.exists("/proc/%s" % holder[1]):
            continue
        old.append(name)
    if old:
        subprocess.run(["podman", "rmi"] + old, env=podman_env(), check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def remove_old_build_images(inputs):
    """The intermediate images of older builds of this test (label tim.chat.ee-test.inputs of another value). Those
    that a newer build reuses as its layer cache have children and stay (podman refuses to remove them)."""
    output = run(["podman", "images", "-a", "--filter", "label=tim.chat.ee-test.inputs", "--format",
                  '{{.ID}} {{index .Labels "tim.chat.ee-test.inputs"}}'])
    old = [line.split()[0] for line in output.splitlines() if len(line.split()) == 2 and line.split()[1] != inputs]
    for image in old:
        subprocess.run(["podman", "rmi", image], env=podman_env(), check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def remove_all_images():
    """make clean-ee: every image of this test (both repositories, and the intermediate images of its builds)."""
    output = run(["podman", "images", "-a", "--format", "{{.ID}} {{.Repository}}"])
    ours = set(line.split()[0] for line in output.splitlines()
               if len(line.split()) == 2 and line.split()[1] in (BASE_REPOSITORY, EE_REPOSITORY))
    output = run(["podman", "images", "-a", "--filter", "label=tim.chat.ee-test.inputs", "--format", "{{.ID}}"])
    ours.update(line.strip() for line in output.splitlines() if line.strip())
    if ours:
        run(["podman", "rmi", "--force"] + sorted(ours))
    print("removed %d images of make test-ee" % len(ours))


def image_size(tag):
    return int(run(["podman", "image", "inspect", "--format", "{{.Size}}", tag]).strip())


# 2. Base image ----------------------------------------------------------------------------------------------------

def ensure_base_image(rebuild):
    with open(BASE_RECIPE, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:16]
    tag = "%s:%s" % (BASE_REPOSITORY, digest)
    if image_exists(tag) and not rebuild:
        step("base image %s: cached (tests/ee/base-image.sh unchanged)" % tag)
        return tag
    if os.geteuid() != 0:
        raise TestFailed("the base image %s is missing, and making it (debootstrap) needs root" % tag)
    step("base image %s: debootstrap bookworm minbase + python3 (tests/ee/base-image.sh)" % tag)
    started = time.time()
    run(["sh", BASE_RECIPE, tag], timeout=1200, log=os.path.join(WORK, "base-image.log"))
    remove_other_tags(BASE_REPOSITORY, tag)
    print("   made in %.0f s, %.0f MB" % (time.time() - started, image_size(tag) / 1e6))
    return tag


# 3. Execution environment -----------------------------------------------------------------------------------------

def build_context():
    """The tarball and the definition in .build/ee-test/ee, then `ansible-builder create`; returns the hash of
    the context (the tarball counted by its MANIFEST.json: its bytes change with every build, its files do not)."""
    with open(os.path.join(REPO_ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    tarball = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    directory = os.path.join(WORK, "ee")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    env = dict(os.environ, ANSIBLE_HOME=os.path.join(WORK, "ansible-home"))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", directory, REPO_ROOT], env=env)
    shutil.copy(DEFINITION, os.path.join(directory, "execution-environment.yml"))
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
         "--output-filename", "Containerfile"], cwd=directory)
    digest = hashlib.sha256()
    context = os.path.join(directory, "context")
    for dirpath, dirnames, filenames in os.walk(context):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            digest.update(os.path.relpath(path, context).encode("utf-8") + b"\0")
            if name == tarball:
                with tarfile.open(path) as archive:
                    digest.update(archive.extractfile("MANIFEST.json").read())
            else:
                with open(path, "rb") as handle:
                    digest.update(handle.read())
            digest.update(b"\0")
    return directory, digest


def ensure_ee_image(base_tag, rebuild):
    step("execution environment: ansible-builder create -f docs/examples/execution-environment.yml")
    directory, digest = build_context()
    build_args = dict(BASE_BUILD_ARGS, EE_BASE_IMAGE=base_tag)
    digest.update(json.dumps(build_args, sort_keys=True).encode("utf-8"))
    inputs = digest.hexdigest()
    tag = "%s:%s" % (EE_REPOSITORY, inputs[:16])
    if image_exists(tag) and not rebuild:
        step("execution environment %s: cached (same definition, collection and base image)" % tag)
        return tag
    step("execution environment %s: ansible-builder build --build-arg EE_BASE_IMAGE=%s --build-arg PKGMGR=%s"
         % (tag, base_tag, BASE_BUILD_ARGS["PKGMGR"]))
    extra = ["--network", "host", "--label", "tim.chat.ee-test.inputs=%s" % inputs]
    ca_bundle = os.environ.get("PIP_CERT")
    if ca_bundle and os.path.isfile(ca_bundle):
        # pip in the image trusts what pip here trusts: the machine's bundle over the image's own (its PIP_CERT).
        extra += ["--volume", "%s:/etc/ssl/certs/ca-certificates.crt:ro" % os.path.realpath(ca_bundle)]
    command = [os.path.join(BIN, "ansible-builder"), "build", "-f", "execution-environment.yml", "-c", "context",
               "-t", tag, "--container-runtime", "podman", "-v", "3", "--extra-build-cli-args", " ".join(extra)]
    for name, value in sorted(build_args.items()):
        command += ["--build-arg", "%s=%s" % (name, value)]
    started = time.time()
    run(command, cwd=directory, timeout=1800, log=os.path.join(WORK, "ee-build.log"))
    remove_other_tags(EE_REPOSITORY, tag)
    remove_old_build_images(inputs)
    print("   built in %.0f s (log: .build/ee-test/ee-build.log)" % (time.time() - started))
    return tag


# 4. ansible-doc in the image --------------------------------------------------------------------------------------

def check_docs(tag):
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules"))
                     if name.endswith(".py") and not name.startswith("_"))
    roles = sorted(name for name in os.listdir(os.path.join(REPO_ROOT, "roles"))
                   if os.path.isfile(os.path.join(REPO_ROOT, "roles", name, "meta", "argument_specs.yml")))
    step("ansible-doc in the image: modules %s; roles %s" % (", ".join(modules), ", ".join(roles)))
    script = ["set -e"]
    script += ["ansible-doc tim.chat.%s > /dev/null" % name for name in modules]
    script += ["ansible-doc -t role tim.chat.%s > /dev/null" % name for name in roles]
    script += ["ansible-doc --json %s" % " ".join("tim.chat.%s" % name for name in modules)]
    process = subprocess.run(["podman", "run", "--rm", "--network", "none", tag, "sh", "-c", "\n".join(script)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=podman_env(), timeout=300,
                             check=False)
    if process.returncode != 0:
        raise TestFailed("ansible-doc in the image failed (exit code %d):\n%s"
                         % (process.returncode, (process.stdout + process.stderr).decode("utf-8", "replace")[-4000:]))
    docs = json.loads(process.stdout.decode("utf-8"))
    for name in modules:
        entry = docs.get("tim.chat.%s" % name) or {}
        if not (entry.get("doc", {}).get("module") == name and entry.get("examples") and entry.get("return")):
            raise TestFailed("ansible-doc in the image gives no DOCUMENTATION/EXAMPLES/RETURN for tim.chat.%s" % name)
    print("   rendered as text and JSON: %d modules, %d roles" % (len(modules), len(roles)))


# 5. The AWX credential and the job ----------------------------------------------------------------------------------

def load_credential_type():
    """docs/examples/awx/credential_type.yml, checked the way AWX checks a custom credential type (the parts that
    matter here): fields with id, type and label; required fields that exist; env injectors that use only fields."""
    import jinja2.meta
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    with open(CREDENTIAL_TYPE) as handle:
        definition = yaml.safe_load(handle)
    problems = []
    for key in ("name", "kind", "inputs", "injectors"):
        if key not in definition:
            problems.append("no %s" % key)
    fields = definition.get("inputs", {}).get("fields", [])
    ids = [field.get("id") for field in fields]
    for field in fields:
        if not (field.get("id") and field.get("label") and field.get("type") in ("string", "boolean")):
            problems.append("field %r needs id, label and type string or boolean" % field)
    for name in definition.get("inputs", {}).get("required", []):
        if name not in ids:
            problems.append("required field %s is not a field" % name)
    secret = [field["id"] for field in fields if field.get("secret")]
    if "secret_key" not in secret:
        problems.append("secret_key must be a secret field (AWX encrypts it and never shows it)")
    regions = [field.get("choices") for field in fields if field.get("id") == "region"]
    if regions and sorted(regions[0]) != sorted(REGIONS):
        problems.append("the region choices %s are not the modules' regions %s" % (regions[0], REGIONS))
    injectors = definition.get("injectors", {})
    if set(injectors) - {"env", "extra_vars", "file"}:
        problems.append("unknown injector kinds %s" % sorted(set(injectors) - {"env", "extra_vars", "file"}))
    env_templates = injectors.get("env", {})
    sandbox = ImmutableSandboxedEnvironment()
    for variable, template in env_templates.items():
        unknown = jinja2.meta.find_undeclared_variables(sandbox.parse(template)) - set(ids)
        if unknown:
            problems.append("injector %s uses %s, which are no fields" % (variable, ", ".join(sorted(unknown))))
    for variable in ("TIM_SDKAPPID", "TIM_SECRET_KEY"):
        if variable not in env_templates:
            problems.append("no env injector for %s" % variable)
    if problems:
        raise TestFailed("docs/examples/awx/credential_type.yml: %s" % "; ".join(problems))
    return definition


def render_injectors(definition, inputs):
    """The job's environment from a credential, as AWX renders env injectors (awx.main.models.credential): an
    immutable sandbox, fields without a value undefined (so empty), and a safe copy with secret fields hidden."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    sandbox = ImmutableSandboxedEnvironment()
    fields = definition["inputs"]["fields"]
    namespace = dict((key, value) for key, value in inputs.items() if value)
    safe = dict((key, HIDDEN if any(f["id"] == key and f.get("secret") for f in fields) else value)
                for key, value in namespace.items())
    for field in fields:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = safe[field["id"]] = False
    env, safe_env = {}, {}
    for variable, template in definition["injectors"].get("env", {}).items():
        env[variable] = sandbox.from_string(template).render(**namespace)
        safe_env[variable] = sandbox.from_string(template).render(**safe)
    return env, safe_env


def private_data_dir(label):
    """The job's private data directory as AWX lays it out: project/ (the checked-out project) and inventory/."""
    directory = os.path.join(WORK, "jobs", label)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(os.path.join(directory, "project"))
    os.makedirs(os.path.join(directory, "inventory"))
    for name, source in job.PROJECT_FILES.items():
        shutil.copy(os.path.join(REPO_ROOT, source), os.path.join(directory, "project", name))
    shutil.copy(os.path.join(REPO_ROOT, job.INVENTORY), os.path.join(directory, "inventory", "hosts.yml"))
    return directory


def run_job(tag, label, env, verbosity):
    """transmit here | ansible-runner worker in the image | process here, as AWX and receptor do for a container
    group. Returns a dict with the status, the events, the status updates and the paths of the streams."""
    import ansible_runner

    directory = private_data_dir(label)
    streams = os.path.join(WORK, "jobs", label + "-streams")
    shutil.rmtree(streams, ignore_errors=True)
    os.makedirs(streams)
    # AWX's runner parameters for a job (awx.main.tasks.jobs), with the stdout file kept: more to scan.
    params = dict(private_data_dir=directory, ident=label, playbook=job.PLAYBOOK, envvars=dict(env),
                  verbosity=verbosity,
                  settings=dict(job_timeout=600, suppress_ansible_output=True, suppress_output_file=False))
    transmit = os.path.join(streams, "transmit")
    with open(transmit, "wb") as output:
        ansible_runner.interface.run(streamer="transmit", _output=output, **params)

    worker = os.path.join(streams, "worker")
    worker_err = os.path.join(streams, "worker.stderr")
    command = ["podman", "run", "--rm", "-i", "--network", "host", "--name", "tim-chat-ee-test-%s-%d" % (label, os.getpid())]
    for host in API_HOSTS:
        command += ["--add-host", "%s:127.0.0.1" % host]
    command += [tag, "ansible-runner", "worker", "--private-data-dir=/runner"]
    started = time.time()
    with open(transmit, "rb") as stdin, open(worker, "wb") as stdout, open(worker_err, "wb") as stderr:
        try:
            process = subprocess.run(command, stdin=stdin, stdout=stdout, stderr=stderr, env=podman_env(),
                                     timeout=900, check=False)
        except subprocess.TimeoutExpired:
            subprocess.run(["podman", "rm", "--force", command[command.index("--name") + 1]], env=podman_env(),
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            raise TestFailed("ansible-runner worker in the image did not finish within 900 s; container removed")
    elapsed = time.time() - started
    if process.returncode != 0:
        with open(worker_err, "rb") as handle:
            raise TestFailed("ansible-runner worker in the image failed (exit code %d):\n%s"
                             % (process.returncode, handle.read().decode("utf-8", "replace")[-4000:]))

    events, statuses = [], []
    with open(worker, "rb") as stream:
        result = ansible_runner.interface.run(
            streamer="process", quiet=True, _input=stream, event_handler=lambda event: events.append(event) or True,
            status_handler=lambda data, runner_config: statuses.append(data), **params)
    stats = [event for event in events if event.get("event") == "playbook_on_stats"]
    recap = stats[-1]["event_data"] if stats else {}
    changed = sum((recap.get("changed") or {}).values())
    failed = sum((recap.get("failures") or {}).values()) + sum((recap.get("dark") or {}).values())
    stdout = "".join(event.get("stdout", "") + "\n" for event in events if event.get("stdout"))
    # The status comes from the worker's last status update (`process` has no exit code of its own, nor has AWX).
    return dict(label=label, status=result.status, events=events, statuses=statuses, changed=changed,
                failed=failed, recap=recap, directory=directory, transmit=transmit, worker=worker,
                worker_err=worker_err, stdout=stdout, seconds=elapsed)


# 6. Secrets -------------------------------------------------------------------------------------------------------

def describe_token(token):
    """Whether a UserSig-looking token decodes to a UserSig (zlib-compressed JSON with TLS.sig)."""
    text = token.replace(b"%2A", b"*").replace(b"%2a", b"*")
    try:
        raw = base64.b64decode(text.replace(b"*", b"+").replace(b"-", b"/").replace(b"_", b"="))
        document = json.loads(zlib.decompress(raw).decode("utf-8"))
        if "TLS.sig" in document:
            return "a UserSig for %s of sdkappid %s" % (document.get("TLS.identifier"), document.get("TLS.sdkappid"))
    except Exception:  # pylint: disable=broad-except
        pass
    return "UserSig-like, not decodable"


class Scanner:
    """Looks for the secret key and for UserSigs in everything a job leaves behind. The secret is allowed in one
    place only: as the value of TIM_SECRET_KEY in the job's environment (`env`) of ansible-runner's `command`
    artifact and `starting` status, which is where the credential put it."""

    def __init__(self, secret):
        self.secret = secret.encode("utf-8")
        self.findings = []
        self.counts = dict(events=0, files=0, streams=0, statuses=0, environments=0)

    def scan_bytes(self, data, where):
        if self.secret in data:
            self.findings.append("%s: the secret key" % where)
        for match in USERSIG_TOKEN.finditer(data):
            if len(match.group(0)) >= USERSIG_MIN_LENGTH:
                self.findings.append("%s: %s... (%s)" % (where, match.group(0)[:16].decode(), describe_token(match.group(0))))

    def scan_with_env(self, document, where):
        """A `command` artifact or a status update: its env may hold the secret as TIM_SECRET_KEY, nothing else may."""
        env = document.get("env")
        if isinstance(env, dict) and env.get("TIM_SECRET_KEY") == self.secret.decode("utf-8"):
            document = dict(document, env=dict(env, TIM_SECRET_KEY=HIDDEN))
            self.counts["environments"] += 1
        self.scan_bytes(json.dumps(document).encode("utf-8"), where)

    def scan_event(self, event, where):
        self.counts["events"] += 1
        self.scan_bytes(json.dumps(event).encode("utf-8"), where)

    def scan_file(self, name, data, where):
        self.counts["files"] += 1
        if os.path.basename(name) == "command":
            self.scan_with_env(json.loads(data.decode("utf-8")), where)
        else:
            self.scan_bytes(data, where)

    def scan_worker_stream(self, path, label):
        """What the image sends back: JSON lines (status updates, events, eof) and the artifacts as a zip file."""
        from ansible_runner.utils.base64io import Base64IO

        self.counts["streams"] += 1
        with open(path, "rb") as stream:
            while True:
                line = stream.readline()
                if not line:
                    break
                try:
                    document = json.loads(line)
                except ValueError:
                    self.scan_bytes(line, "%s: worker stream, a line that is no JSON" % label)
                    continue
                if "zipfile" in document:
                    with Base64IO(stream) as source:
                        blob = source.read(document["zipfile"])
                    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                        for name in archive.namelist():
                            self.scan_file(name, archive.read(name), "%s: worker stream, artifact %s" % (label, name))
                elif "status" in document:
                    self.counts["statuses"] += 1
                    self.scan_with_env(document, "%s: worker stream, status %s" % (label, document["status"]))
                elif "eof" in document:
                    continue
                else:
                    self.scan_bytes(line, "%s: worker stream, event %s" % (label, document.get("event")))

    def scan_job(self, result):
        label = result["label"]
        self.scan_worker_stream(result["worker"], label)
        with open(result["worker_err"], "rb") as handle:
            self.scan_bytes(handle.read(), "%s: the worker's stderr" % label)
        for event in result["events"]:
            self.scan_event(event, "%s: job event %s %s" % (label, event.get("counter"), event.get("event")))
        for status in result["statuses"]:
            self.scan_with_env(status, "%s: status %s" % (label, status.get("status")))
        self.scan_bytes(result["stdout"].encode("utf-8"), "%s: the job's stdout (events)" % label)
        artifacts = os.path.join(result["directory"], "artifacts")
        for dirpath, _dirnames, filenames in os.walk(artifacts):
            for name in filenames:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as handle:
                    self.scan_file(name, handle.read(), "%s: artifact %s" % (label, os.path.relpath(path, artifacts)))


def scanner_self_test(secret, transmit):
    """The scan finds what it looks for: the secret in the transmit stream (the job's input, which carries the
    environment), and a UserSig made with Tencent's own library, also URL-quoted, in an event."""
    import TLSSigAPIv2

    probe = Scanner(secret)
    probe.scan_worker_stream(transmit, "transmit")
    usersig = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, secret).gen_sig(ADMIN, 3600)
    probe.scan_event({"event": "runner_on_ok", "stdout": "usersig=%s" % usersig}, "probe event")
    probe.scan_event({"event": "runner_on_ok", "stdout": "usersig=%s" % usersig.replace("*", "%2A")}, "probe event")
    found = "\n".join(probe.findings)
    if "transmit: worker stream" not in found or found.count("a UserSig for %s" % ADMIN) != 2:
        raise TestFailed("the secret scan does not find what it looks for:\n%s" % found)


# main -------------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--rebuild", action="store_true", help="build both images again, ignoring the cache")
    parser.add_argument("--keep", action="store_true", help="keep .build/ee-test/jobs (streams and artifacts)")
    parser.add_argument("--clean", action="store_true", help="remove the images of this test and stop")
    args = parser.parse_args()
    if args.clean:
        if shutil.which("podman"):
            remove_all_images()
        return 0
    started = time.time()
    os.makedirs(WORK, exist_ok=True)
    summary = []
    try:
        ensure_tools()
        with open(LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            base_tag = ensure_base_image(args.rebuild)
            ee_tag = ensure_ee_image(base_tag, args.rebuild)
            # Keep the image while this run uses it: another checkout's run would untag it after a build of its own.
            run(["podman", "tag", ee_tag, "%s:in-use-%d" % (EE_REPOSITORY, os.getpid())])
        images_ready = time.time()
        try:
            size = image_size(ee_tag)
            summary.append("image %s: %.0f MB (base %s: %.0f MB)" % (ee_tag, size / 1e6, base_tag,
                                                                     image_size(base_tag) / 1e6))
            check_docs(ee_tag)
            summary += run_jobs(ee_tag)
        finally:
            subprocess.run(["podman", "untag", ee_tag, "%s:in-use-%d" % (EE_REPOSITORY, os.getpid())],
                           env=podman_env(), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except TestFailed as failure:
        print("EXECUTION ENVIRONMENT TEST FAILED: %s" % failure)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(os.path.join(WORK, "jobs"), ignore_errors=True)
    for line in summary:
        print("   " + line)
    print("make test-ee: all green in %.0f s (images ready after %.0f s)"
          % (time.time() - started, images_ready - started))
    return 0


def run_jobs(ee_tag):
    step("AWX credential: docs/examples/awx/credential_type.yml")
    definition = load_credential_type()
    secret = secrets.token_hex(32)
    emulator = start_emulator(sdkappid=SDKAPPID, secret_key=secret)
    try:
        inputs = dict(sdkappid=str(SDKAPPID), secret_key=secret, region="singapore", identifier=ADMIN,
                      base_url=emulator.url)
        env, safe_env = render_injectors(definition, inputs)
        print("   the job's environment, as AWX shows it: %s" % ", ".join("%s=%s" % item for item in sorted(safe_env.items())))
        if env.get("TIM_SECRET_KEY") != secret or env.get("TIM_BASE_URL") != emulator.url:
            raise TestFailed("the injectors do not put the secret key and the base URL into TIM_SECRET_KEY and "
                             "TIM_BASE_URL: %s" % sorted(safe_env.items()))

        rest = RestClient(emulator.url, SDKAPPID, secret, ADMIN)
        step("emulator on %s; the job's communities: %s" % (emulator.url, ", ".join(job.prepare(rest))))

        step("first run: ansible-runner transmit | podman run %s ansible-runner worker | ansible-runner process"
             % ee_tag)
        emulator.reset_stats()
        first = run_job(ee_tag, "first", env, verbosity=0)
        report_run(first)
        first["writes"] = sum(emulator.stats()["writes"].values())
        if first["status"] != "successful" or first["failed"] or not first["changed"]:
            raise TestFailed("the first run did not converge (status %s, changed %s, failed %s):\n%s"
                             % (first["status"], first["changed"], first["failed"], first["stdout"][-6000:]))
        problems = job.check_converged(rest)
        if problems:
            raise TestFailed("after the first run: %s" % "; ".join(problems))

        step("second run, same input, verbosity 3 (-vvv): nothing may change and nothing may be written")
        emulator.reset_stats()
        second = run_job(ee_tag, "second", env, verbosity=3)
        report_run(second)
        writes = dict((api, count) for api, count in emulator.stats()["writes"].items() if count)
        if second["status"] != "successful" or second["changed"] or second["failed"] or writes:
            raise TestFailed("the rerun was not a no-op (status %s, changed %s, failed %s, write calls %s):\n%s"
                             % (second["status"], second["changed"], second["failed"], writes, second["stdout"][-6000:]))

        step("secrets: the secret key and UserSigs in the events, artifacts, stdout and streams of both runs")
        scanner_self_test(secret, first["transmit"])
        scanner = Scanner(secret)
        for result in (first, second):
            scanner.scan_job(result)
        if scanner.findings:
            raise TestFailed("secrets in the job's output:\n%s" % "\n".join(scanner.findings[:40]))
        counts = scanner.counts
        print("   clean: %(events)d job events, %(files)d artifact files, %(streams)d worker streams and %(statuses)d "
              "status updates; the secret only as TIM_SECRET_KEY in %(environments)d job environments" % counts)
        return ["first run: changed=%d, %d write calls, in %.0f s; rerun: changed=0, 0 write calls, in %.0f s"
                % (first["changed"], first["writes"], first["seconds"], second["seconds"]),
                "secret scan: %d job events (%d + %d), %d artifact files, clean"
                % (counts["events"], len(first["events"]), len(second["events"]), counts["files"])]
    finally:
        emulator.stop()


def report_run(result):
    recap = result["recap"]
    print("   %s: status %s, %d events, ok=%d changed=%d failed=%d, %.0f s in the container"
          % (result["label"], result["status"], len(result["events"]),
             sum((recap.get("ok") or {}).values()), result["changed"], result["failed"], result["seconds"]))


if __name__ == "__main__":
    sys.exit(main())

# -*- coding: utf-8 -*-
"""The reliability and security matrix (tests/integration/test_matrix_*.py): one summary line per row.

Hooked into pytest by tests/integration/conftest.py. A test records its rows with the ``matrix``
fixture; the rows travel to the controller in ``user_properties`` (so they survive ``-n 2``) and
``pytest_terminal_summary`` prints one line per row plus the totals:

    MATRIX row=fault-drop-after-commit-30pct faults_injected=14 writes_verified=45 result=converged

Every play of the matrix runs at ``-vvvv`` through ``matrix.play``, which scans everything the play
and the emulator said for the secrets the play used: the secret keys, the ready usersigs, and every
usersig a module could have issued during the play (computed with Tencent's TLSSigAPIv2 for each
second of the play, see ``possible_usersigs``). Set TIM_MATRIX_JSON=path to also get the rows as JSON.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import tempfile
import threading
import time
import urllib.parse
import zlib

import pytest
import TLSSigAPIv2

# The modules sign with a one-hour UserSig (README "Security", plugins/module_utils/_client.py USERSIG_TTL).
MODULE_USERSIG_TTL = 3600
# A usersig is zlib-compressed JSON in base64 ("eJ..."), URL-safe (*-_) or standard (+/=): the catch-all.
USERSIG_BLOB = re.compile(r"eJ[A-Za-z0-9*_+/=-]{60,}")
# A TLS.sig: the standard base64 of an HMAC-SHA256 digest (32 bytes: 43 characters and one "=").
HMAC_BLOB = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")
# "usersig=" followed by anything but a redaction (the modules use ********, the emulator REDACTED).
USERSIG_QUERY = re.compile(r"usersig=(?!\*{8}|REDACTED)[^&\s'\"]+", re.I)
RESULT_VALUES = ("converged", "failed-clearly")

_ORACLE_LOCK = threading.Lock()


class _FixedTime:
    def __init__(self, now):
        self._now = now

    def time(self):
        return self._now


def oracle_usersig(sdkappid, secret_key, identifier, ttl, issued_at):
    """The usersig Tencent's own TLSSigAPIv2 makes at ``issued_at`` (the time is patched in the oracle only)."""
    with _ORACLE_LOCK:
        saved = TLSSigAPIv2.time
        TLSSigAPIv2.time = _FixedTime(issued_at)
        try:
            return TLSSigAPIv2.TLSSigAPIv2(sdkappid, secret_key).gen_sig(identifier, ttl)
        finally:
            TLSSigAPIv2.time = saved


def inner_signature(usersig):
    """The TLS.sig (base64 HMAC-SHA256 made from the secret key) inside a usersig."""
    document = json.loads(zlib.decompress(TLSSigAPIv2.base64_decode_url(usersig.encode("ascii"))))
    return document["TLS.sig"]


def possible_usersigs(identities, started, ended):
    """Every usersig a module run could have issued between ``started`` and ``ended`` for the given
    (sdkappid, secret_key, identifier) identities: one per second (TLS.time is whole seconds)."""
    sigs = set()
    for sdkappid, secret_key, identifier in identities:
        for second in range(int(started) - 1, int(ended) + 2):
            sigs.add(oracle_usersig(int(sdkappid), secret_key, identifier, MODULE_USERSIG_TTL, second))
    return sigs


def _forms(secret):
    """A secret as it could appear: as is, percent-encoded (both flavours), JSON-escaped."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             json.dumps(secret)[1:-1]}
    return [form for form in forms if form]


def _module_args(task):
    for key, value in task.items():
        if key.startswith("tim.chat.") and isinstance(value, dict):
            return value
    return {}


def identities_and_secrets(tasks, defaults):
    """From the tasks of a play: the identities a module signs for with a secret key, and the secrets given."""
    identities, secrets = set(), set()
    for task in tasks:
        args = dict(defaults)
        args.update(dict((key, value) for key, value in _module_args(task).items() if value is not None))
        if isinstance(args.get("secret_key"), str) and args.get("secret_key"):
            secrets.add(args["secret_key"])
            try:
                identifier = str(args.get("identifier") or "administrator")
                identities.add((int(args.get("sdkappid")), args["secret_key"], identifier))
            except (TypeError, ValueError):
                pass  # a bad sdkappid never reaches the signing code
        if isinstance(args.get("usersig"), str) and args.get("usersig"):
            secrets.add(args["usersig"])
        for option in ("secret_key", "usersig"):  # a wrong type: its leaves are still secrets
            value = args.get(option)
            leaves = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
            secrets.update(str(leaf) for leaf in leaves if leaf)
    return identities, secrets


def hide_secrets(tasks, defaults):
    """The tasks and module_defaults with every secret_key/usersig replaced by a variable, and the
    ansible-playbook arguments that give the variables from a file of their own, as a vault would.

    ansible-core prints the source lines of a failing task: a secret written into the playbook would be
    printed by ansible-core itself, whatever the modules do.
    """
    values = {}

    def hide(args):
        args = dict(args)
        for option in ("secret_key", "usersig"):
            if args.get(option) is not None:
                name = "matrix_secret_%d" % len(values)
                values[name] = args[option]
                args[option] = "{{ %s }}" % name
        return args

    hidden_tasks = []
    for task in tasks:
        task = dict(task)
        for key, value in list(task.items()):
            if key.startswith("tim.chat.") and isinstance(value, dict):
                task[key] = hide(value)
        hidden_tasks.append(task)
    hidden_defaults = hide(defaults)
    if not values:
        return hidden_tasks, hidden_defaults, None
    handle, path = tempfile.mkstemp(prefix="tim-matrix-secrets-", suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(values, stream)
    return hidden_tasks, hidden_defaults, path


class SecretLeak(AssertionError):
    pass


def scan(haystacks, secrets):
    """[(where, what)] for every secret, usersig blob or unredacted usersig query value in the haystacks."""
    hits = []
    forms = [(secret, form) for secret in secrets for form in _forms(secret)]
    for where, text in haystacks.items():
        for secret, form in forms:
            position = text.find(form)
            if position >= 0:
                context = text[max(0, position - 120):position + len(form) + 40].replace(form, "<SECRET>")
                hits.append((where, "secret %s...%s in %r" % (secret[:4], secret[-4:], context)))
        for match in USERSIG_BLOB.finditer(text):
            hits.append((where, "usersig-like blob %s..." % match.group(0)[:12]))
        for match in HMAC_BLOB.finditer(text):
            hits.append((where, "TLS.sig-like blob %s..." % match.group(0)[:8]))
        for match in USERSIG_QUERY.finditer(text):
            hits.append((where, "unredacted %s..." % match.group(0)[:12]))
    return hits


class Matrix:
    """What one matrix test records: its rows, and the secret scans of its plays."""

    def __init__(self, node):
        self.node = node
        self.plays = 0
        self.secrets_checked = 0
        self.bytes_scanned = 0
        self.hits = 0

    def play(self, tasks, emulator=None, module_defaults=None, extra_secrets=(), **kwargs):
        """run_play at -vvvv, then scan its output, its results and the emulator's request log."""
        from tests.integration.conftest import connection, run_play  # conftest imports this module

        kwargs.setdefault("verbosity", 4)
        defaults = dict(module_defaults or {})
        if emulator is not None and not module_defaults:
            defaults = connection(emulator)
        emulators = emulator if isinstance(emulator, (list, tuple)) else [emulator] if emulator else []
        hidden_tasks, hidden_defaults, secrets_file = hide_secrets(tasks, defaults)
        if secrets_file:
            kwargs["extra_args"] = tuple(kwargs.get("extra_args", ())) + ("-e", "@" + secrets_file)
        started = time.time()
        try:
            # With no defaults run_play would put the emulator's connection back: pass no emulator then.
            result = run_play(hidden_tasks, emulators[0] if emulators and defaults else None,
                              module_defaults=hidden_defaults, **kwargs)
        finally:
            if secrets_file:
                os.remove(secrets_file)
        ended = time.time()
        identities, secrets = identities_and_secrets(tasks, defaults)
        env = kwargs.get("env") or {}
        if env.get("TIM_SECRET_KEY"):
            secrets.add(env["TIM_SECRET_KEY"])
            identities.add((int(env.get("TIM_SDKAPPID", defaults.get("sdkappid"))), env["TIM_SECRET_KEY"],
                            env.get("TIM_IDENTIFIER", "administrator")))
        secrets.update(secret for secret in extra_secrets if secret)
        sigs = possible_usersigs(identities, started, ended)
        secrets.update(sigs)
        secrets.update(inner_signature(sig) for sig in sigs)
        haystacks = dict(stdout=result.stdout, stderr=result.stderr,
                         results=json.dumps(result.results, ensure_ascii=False))
        for number, emu in enumerate(emulators):
            try:
                haystacks["emulator%d requests" % number] = json.dumps(emu.requests())
            except OSError:
                pass  # a stopped emulator: its log file below is still there
            haystacks["emulator%d log" % number] = emu.log()
        hits = scan(haystacks, secrets)
        self.plays += 1
        self.secrets_checked += len(secrets)
        self.bytes_scanned += sum(len(text) for text in haystacks.values())
        self.hits += len(hits)
        if hits:
            raise SecretLeak("secrets in the output of a -vvvv play: %s" % hits[:10])
        return result

    def row(self, name, faults_injected=0, writes_verified=0, result="converged", **extra):
        assert result in RESULT_VALUES, result
        row = dict(row=name, faults_injected=int(faults_injected), writes_verified=int(writes_verified),
                   result=result)
        row.update(extra)
        self.node.user_properties.append(("matrix_row", row))

    def finish(self):
        self.node.user_properties.append(("matrix_scan", dict(
            plays=self.plays, secrets_checked=self.secrets_checked, bytes_scanned=self.bytes_scanned,
            hits=self.hits)))


@pytest.fixture
def matrix(request):
    recorder = Matrix(request.node)
    yield recorder
    recorder.finish()


_COLLECTED = dict(rows=[], scans=[], failed=[])


def pytest_runtest_logreport(report):
    """Runs on the controller for every report (also those coming back from xdist workers)."""
    if report.when == "call" and report.failed and "test_matrix_" in report.nodeid:
        _COLLECTED["failed"].append(report.nodeid)
    if report.when != "teardown":
        return
    for key, value in report.user_properties:
        if key == "matrix_row":
            _COLLECTED["rows"].append(value)
        elif key == "matrix_scan":
            _COLLECTED["scans"].append(value)


def _line(row):
    text = "MATRIX row=%s faults_injected=%d writes_verified=%d result=%s" % (
        row["row"], row["faults_injected"], row["writes_verified"], row["result"])
    extra = sorted(key for key in row if key not in ("row", "faults_injected", "writes_verified", "result"))
    return text + "".join(" %s=%s" % (key, row[key]) for key in extra)


def pytest_terminal_summary(terminalreporter):
    rows = sorted(_COLLECTED["rows"], key=lambda row: row["row"])
    if not rows:
        return
    scans = _COLLECTED["scans"]
    terminalreporter.section("tim.chat reliability and security matrix")
    for row in rows:
        terminalreporter.write_line(_line(row))
    totals = dict(rows=len(rows), faults_injected=sum(row["faults_injected"] for row in rows),
                  writes_verified=sum(row["writes_verified"] for row in rows),
                  plays_scanned=sum(scan["plays"] for scan in scans),
                  secrets_checked=sum(scan["secrets_checked"] for scan in scans),
                  bytes_scanned=sum(scan["bytes_scanned"] for scan in scans),
                  secret_hits=sum(scan["hits"] for scan in scans), failed_tests=len(_COLLECTED["failed"]))
    terminalreporter.write_line("MATRIX total " + " ".join("%s=%s" % item for item in totals.items()))
    path = os.environ.get("TIM_MATRIX_JSON")
    if path:
        with open(path, "w") as handle:
            json.dump(dict(rows=rows, totals=totals), handle, indent=1, sort_keys=True)

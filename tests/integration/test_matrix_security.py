# -*- coding: utf-8 -*-
"""Matrix, security: TLS verification (validate_certs, ca_path) whatever REQUESTS_CA_BUNDLE says, and the
secret scan itself (every matrix play runs at -vvvv and is scanned by conftest_matrix.Matrix.play)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from ansible_collections.tim.chat.plugins.module_utils._usersig import generate_usersig
from tests.emulator.launcher import start_emulator
from tests.integration.conftest import SDKAPPID, SECRET_KEY, Emulator, topic_task
from tests.integration.conftest_matrix import (
    MODULE_USERSIG_TTL,
    inner_signature,
    oracle_usersig,
    possible_usersigs,
    scan,
)

READ = "million_group_open_http_svc/get_topic"
CREATE = "million_group_open_http_svc/create_topic"
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def self_signed(directory, name, common_name="127.0.0.1"):
    cert, key = str(directory / (name + ".pem")), str(directory / (name + ".key"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=" + common_name, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(directory, "emulator")
    decoy, _decoy_key = self_signed(directory, "decoy", common_name="decoy")
    # The launcher's admin calls and the test's REST client use urllib's default opener: make it trust the
    # emulator's certificate while this module runs (the modules under test get no such help).
    urllib.request.install_opener(urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=cert))))
    try:
        process = start_emulator(sdkappid=SDKAPPID, secret_key=SECRET_KEY, tls_cert=cert, tls_key=key, strict=True)
        emulator = Emulator(process)
        emulator.cert, emulator.decoy = cert, decoy
        yield emulator
        process.stop()
    finally:
        urllib.request.install_opener(None)


@pytest.mark.parametrize("bundle", ["unset", "decoy", "missing-file"])
def test_tls_is_verified_whatever_requests_ca_bundle_says(matrix, tls_emulator, monkeypatch, bundle):
    emulator = tls_emulator
    assert emulator.url.startswith("https://127.0.0.1:")
    for variable in CA_VARIABLES:
        if bundle == "unset":
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, emulator.decoy if bundle == "decoy" else "/nonexistent/tim-ca.pem")
    group = emulator.community()
    emulator.reset_stats()
    play = matrix.play([
        {"name": "verified by default", "ignore_errors": True, "tim.chat.tim_topic_info": dict(group_id=group)},
        topic_task("with ca_path", group_id=group, topic_name="tls-" + bundle, ca_path=emulator.cert),
        {"name": "without verification", "tim.chat.tim_topic_info": dict(group_id=group, validate_certs=False)},
    ], emulator)
    refused = play.task("verified by default")
    assert refused["failed"] and "retry" not in " ".join(refused.get("warnings", [])), refused  # no retry
    if bundle == "missing-file":
        assert "cannot set up the connection to %s" % emulator.url in refused["msg"]
        assert "/nonexistent/tim-ca.pem" in refused["msg"]
    else:
        assert "TLS error talking to %s" % emulator.url in refused["msg"]
        assert "CERTIFICATE_VERIFY_FAILED" in refused["msg"] or "certificate verify failed" in refused["msg"]
    assert play.task("with ca_path")["changed"]
    seen = play.task("without verification")["topics"]
    assert [topic["topic_name"] for topic in seen] == ["tls-" + bundle]
    # The refused run never got past the TLS handshake: the emulator saw only the two other runs.
    assert emulator.calls() == {READ: 2, CREATE: 1}
    matrix.row("tls-validate-certs-true-self-signed-fails/bundle-" + bundle, faults_injected=1, writes_verified=0,
               result="failed-clearly")
    matrix.row("tls-ca-path-and-validate-certs-false-work/bundle-" + bundle, faults_injected=0, writes_verified=1,
               result="converged")


def test_secret_scan_finds_what_it_looks_for_and_the_module_hides_it(matrix, emulator):
    # The scanner: the usersigs it computes are the ones the modules issue, and it finds them in any form.
    now = int(time.time())
    candidates = possible_usersigs([(SDKAPPID, SECRET_KEY, "administrator")], now, now)
    issued = generate_usersig(SDKAPPID, SECRET_KEY, "administrator", MODULE_USERSIG_TTL, now=now)
    assert issued in candidates and len(candidates) == 3  # now - 1 .. now + 1
    assert issued == oracle_usersig(SDKAPPID, SECRET_KEY, "administrator", MODULE_USERSIG_TTL, now)
    planted = dict(a="x usersig=%s&y" % urllib.parse.quote(issued, safe=""), b="sig %s" % inner_signature(issued),
                   c="key %s" % SECRET_KEY)
    hits = scan(planted, [issued, inner_signature(issued), SECRET_KEY])
    assert sorted(where for where, _what in hits if "secret" in _what) == ["a", "b", "c"]
    assert scan(dict(clean="usersig=******** usersig=REDACTED"), [issued]) == []

    # The paths where a module quotes a URL or an error: a refused connection (urllib3 quotes the whole
    # URL, usersig included) with a retry warning, and 502s with a retry, signed from the key or a ready usersig.
    group = emulator.community()
    emulator.configure(http_502_rate=1.0)
    ready = oracle_usersig(SDKAPPID, SECRET_KEY, "administrator", 3600, time.time())
    play = matrix.play([
        topic_task("refused connection", ignore_errors=True, group_id=group, topic_name="x", secret_key=SECRET_KEY,
                   base_url="http://127.0.0.1:9", retries=1),
        topic_task("bad gateway", ignore_errors=True, group_id=group, topic_name="x", secret_key=SECRET_KEY,
                   retries=1),
        {"name": "bad gateway, ready usersig", "ignore_errors": True,
         "tim.chat.tim_topic_info": dict(group_id=group, usersig=ready, retries=1)},
    ], emulator, module_defaults=dict(sdkappid=SDKAPPID, base_url=emulator.url, timeout=5))
    emulator.configure(http_502_rate=0)
    bad_gateways = emulator.stats()["faults"]["http_502"]
    assert bad_gateways == 4  # two runs, each retried once
    refused = play.task("refused connection")
    assert refused["failed"] and "connection to http://127.0.0.1:9 refused" in refused["msg"]
    assert "usersig" not in refused["msg"] and "HTTPConnectionPool" not in refused["msg"]
    assert [warning for warning in refused["warnings"] if "retry 1 of 1" in warning and "refused" in warning
            and "usersig" not in warning]
    assert play.task("bad gateway")["failed"] and "HTTP 502" in play.task("bad gateway")["msg"]
    assert "HTTP 502" in play.task("bad gateway, ready usersig")["msg"]
    matrix.row("secrets-redacted-in-errors-and-warnings-vvvv", faults_injected=1 + bad_gateways, writes_verified=0,
               result="failed-clearly")

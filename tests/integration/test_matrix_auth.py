# -*- coding: utf-8 -*-
"""Matrix, auth: every credential problem fails with the backend's code and a sentence that says which
problem it is, after exactly one call (these are never retried), for each module."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import time
from collections import Counter

from tests.integration.conftest import SDKAPPID, SECRET_KEY
from tests.integration.conftest_matrix import oracle_usersig

# Client logic that does not depend on ansible-core: run on the default core only (make test-matrix skips it).
pytestmark = pytest.mark.once

READ = "million_group_open_http_svc/get_topic"
OTHER_APP = SDKAPPID + 1


def cases():
    """(row, credentials, expected code, words the message must hold)."""
    now = time.time()
    expired = oracle_usersig(SDKAPPID, SECRET_KEY, "administrator", 3600, now - 7200)
    valid_for_admin = oracle_usersig(SDKAPPID, SECRET_KEY, "administrator", 3600, now)
    return [
        ("auth-wrong-secret-key", dict(sdkappid=SDKAPPID, secret_key="wrong-secret-key-0123456789"), 70009,
         "the secret key does not belong to this sdkappid"),
        ("auth-expired-usersig", dict(sdkappid=SDKAPPID, usersig=expired), 70001, "the UserSig has expired"),
        ("auth-identifier-not-admin", dict(sdkappid=SDKAPPID, secret_key=SECRET_KEY, identifier="bob"), 60010,
         "the identifier is not an app admin account"),
        ("auth-identifier-mismatch-usersig", dict(sdkappid=SDKAPPID, usersig=valid_for_admin, identifier="bob"), 70013,
         "the identifier does not match the identifier the UserSig was made for"),
        ("auth-sdkappid-mismatch-usersig", dict(sdkappid=OTHER_APP, usersig=valid_for_admin), 70014,
         "the sdkappid does not match the sdkappid the UserSig was made for"),
        ("auth-sdkappid-unknown", dict(sdkappid=OTHER_APP, secret_key=SECRET_KEY), 70020,
         "the sdkappid was not found"),
        ("auth-usersig-garbage", dict(sdkappid=SDKAPPID, usersig="not-a-usersig-at-all-0123456789"), 70003,
         "the UserSig is invalid"),
    ]


def test_auth_failures_say_which_and_are_not_retried(matrix, emulator):
    group = emulator.community()
    tasks, expected = [], []
    modules = dict(tim_topic=dict(group_id=group, topics=[dict(topic_name="bulk")]),
                   tim_topic_info=dict(group_id=group),
                   tim_topic_import=dict(group_id=group, topics=[dict(topic_name="imported")]))
    # Every case with tim_topic; the two commonest with the other modules too (they share the client).
    also = {"auth-wrong-secret-key": ["tim_topic_info", "tim_topic_import"],
            "auth-expired-usersig": ["tim_topic_import"]}
    for row, credentials, code, words in cases():
        for module in ["tim_topic"] + also.get(row, []):
            args = dict(modules[module], **credentials)
            name = "%s %s" % (row, module)
            tasks.append({"name": name, "tim.chat." + module: args, "ignore_errors": True})
            expected.append((row, name, code, words))
    emulator.reset_stats()
    play = matrix.play(tasks, emulator, module_defaults=dict(base_url=emulator.url, timeout=5, retries=5))
    for _row, name, code, words in expected:
        result = play.task(name)
        assert result["failed"] and result["error_code"] == code, (name, result.get("msg"))
        assert words in result["msg"] and "error %d" % code in result["msg"], (name, result["msg"])
        assert result["api"] == READ
        assert not [warning for warning in result.get("warnings", []) if "retry" in warning], name
    # One call per run, and the emulator answered each with the code the module reported.
    assert emulator.calls() == {READ: len(tasks)}
    answered = Counter(request["error_code"] for request in emulator.requests())
    assert answered == Counter(code for _row, _name, code, _words in expected)
    assert emulator.writes() == 0 and emulator.rest.topics(group) == []
    for row, _credentials, code, _words in cases():
        runs = len([entry for entry in expected if entry[0] == row])
        matrix.row(row, faults_injected=runs, writes_verified=0, result="failed-clearly", code=code, calls_per_run=1)

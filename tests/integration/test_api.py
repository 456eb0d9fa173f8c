# -*- coding: utf-8 -*-
"""tim_api against the emulator: any command signed, retried and rate-limited like the rest of the collection."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from tests.integration.conftest import module_task, run_play

# Client logic that does not depend on ansible-core: run on the default core only (make test-matrix skips it).
pytestmark = pytest.mark.once

API = "tim.chat.tim_api"
IMPORT = "im_open_login_svc/account_import"


def api_task(name, service, command, body=None, **options):
    if body is not None:
        options["body"] = body
    return module_task(API, name, service=service, command=command, **options)


def test_import_the_owner_then_create_the_community_it_owns(emulator):
    emulator.configure(require_accounts=True)
    group_id = "@TGS#_owned-by-alice"
    play = run_play([
        dict(name="before the import", ignore_errors=True,
             **{"tim.chat.tim_community": dict(group_id=group_id, name="Owned", owner_account="alice")}),
        api_task("import alice", "im_open_login_svc", "account_import", {"UserID": "alice", "Nick": "Alice"},
                 idempotent=True),
        dict(name="after the import",
             **{"tim.chat.tim_community": dict(group_id=group_id, name="Owned", owner_account="alice")}),
        api_task("check alice", "im_open_login_svc", "account_check", {"CheckItem": [{"UserID": "alice"}]},
                 read_only=True),
    ], emulator)
    refused = play.task("before the import")
    assert refused["failed"] and refused["error_code"] == 10019 and "create_group" in refused["msg"]
    imported = play.task("import alice")
    assert imported["changed"] and imported["response"]["ErrorCode"] == 0 and imported["api"] == IMPORT
    assert play.task("after the import")["changed"]
    assert play.task("check alice")["response"]["ResultItem"][0]["AccountStatus"] == "Imported"
    assert not play.task("check alice")["changed"]
    owner = emulator.rest.call("group_open_http_svc/get_group_info", {"GroupIdList": [group_id]})
    assert owner["GroupInfo"][0]["Owner_Account"] == "alice"
    assert emulator.calls()[IMPORT] == 1 and emulator.calls()["group_open_http_svc/create_group"] == 2


def test_ok_codes_make_an_error_code_a_success(emulator):
    group_id = emulator.community()
    body = {"Type": "Community", "Name": "again", "GroupId": group_id, "SupportTopic": 1}
    play = run_play([
        api_task("taken id fails", "group_open_http_svc", "create_group", body, ignore_errors=True),
        api_task("taken id is fine", "group_open_http_svc", "create_group", body, ok_codes=[0, 10021]),
    ], emulator)
    failed = play.task("taken id fails")
    assert failed["failed"] and failed["error_code"] == 10021 and "group_open_http_svc/create_group" in failed["msg"]
    fine = play.task("taken id is fine")
    assert not fine["failed"] and fine["error_code"] == 10021 and fine["response"]["ActionStatus"] == "FAIL"


def test_check_mode_sends_a_read_and_not_a_write(emulator):
    group_id = emulator.community()
    emulator.reset_stats()
    play = run_play([
        api_task("read", "group_open_http_svc", "get_group_info", {"GroupIdList": [group_id]}, read_only=True),
        api_task("write", "im_open_login_svc", "account_import", {"UserID": "bob"}),
    ], emulator, check=True)
    read = play.task("read")
    assert not read["changed"] and read["response"]["GroupInfo"][0]["GroupId"] == group_id
    write = play.task("write")
    assert write["changed"] and write["response"] == {} and "was not sent" in write["msg"]
    assert emulator.calls() == {"group_open_http_svc/get_group_info": 1}


def test_a_write_whose_answer_was_lost_is_sent_again_only_when_idempotent(emulator):
    emulator.configure(error_rates={"10002": 1.0})  # the backend fails every call: the outcome is unknown
    play = run_play([
        api_task("not idempotent", "im_open_login_svc", "account_import", {"UserID": "carol"}, ignore_errors=True,
                 retries=2),
    ], emulator)
    once = play.task("not idempotent")
    assert once["failed"] and once["error_code"] == 10002
    assert "may or may not have happened, so it was not sent again (set idempotent: true" in once["msg"]
    assert emulator.calls()[IMPORT] == 1

    emulator.reset_stats()
    play = run_play([
        api_task("idempotent", "im_open_login_svc", "account_import", {"UserID": "carol"}, ignore_errors=True,
                 retries=2, idempotent=True),
        api_task("read", "im_open_login_svc", "account_check", {"CheckItem": [{"UserID": "carol"}]},
                 ignore_errors=True, retries=2, read_only=True),
    ], emulator)
    assert play.task("idempotent")["failed"] and "retries exhausted" in play.task("idempotent")["msg"]
    assert emulator.calls()[IMPORT] == 3  # the first try and two retries
    assert emulator.calls()["im_open_login_svc/account_check"] == 3


def test_throttling_is_retried_for_any_write(emulator):
    emulator.configure(error_rates={"60007": 0.5}, seed=11)
    play = run_play([api_task("import %d" % number, "im_open_login_svc", "account_import", {"UserID": "u%d" % number})
                     for number in range(3)], emulator)
    assert all(play.task("import %d" % number)["changed"] for number in range(3))
    assert emulator.stats()["faults"]["error"] > 0  # throttled at least once, and sent again


def test_secrets_never_show_at_vvvv(emulator):
    play = run_play([
        api_task("import", "im_open_login_svc", "account_import", {"UserID": "dave"}),
        api_task("unknown command", "im_open_login_svc", "no_such_command", ignore_errors=True),
    ], emulator, verbosity=4)
    output = play.stdout + play.stderr
    assert emulator.process.secret_key not in output
    assert "usersig=" not in output.replace("usersig=********", "")
    unknown = play.task("unknown command")
    assert unknown["failed"] and unknown["error_code"] in (10003, 60009)

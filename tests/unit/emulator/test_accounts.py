"""Account commands (account_import, account_check) and --require-accounts."""

import time

import pytest

from tests.unit.emulator._helpers import ADMIN, GROUP, LOGIN

OK = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}


def _check(client, *ids):
    out = client.login("account_check", {"CheckItem": [{"UserID": i} for i in ids]})
    assert out["ErrorCode"] == 0, out
    return out


def test_import_then_check(client):
    assert client.login("account_import", {"UserID": "alice", "Nick": "Alice", "FaceUrl": "http://f"}) == OK
    assert client.login("account_import", {"UserID": "alice"}) == OK     # again: still one account
    out = _check(client, "alice", "bob", ADMIN)
    assert set(out) == set(OK) | {"ResultItem"}
    assert out["ResultItem"] == [
        {"UserID": "alice", "ResultCode": 0, "ResultInfo": "", "AccountStatus": "Imported"},
        {"UserID": "bob", "ResultCode": 0, "ResultInfo": "", "AccountStatus": "NotImported"},
        {"UserID": ADMIN, "ResultCode": 0, "ResultInfo": "", "AccountStatus": "Imported"},   # an app admin
    ]
    assert client.admin("GET", "state")["accounts"] == [{"UserID": "alice", "Nick": "Alice", "FaceUrl": "http://f"}]


def test_import_counts_a_write_only_when_something_changes(client):
    client.login("account_import", {"UserID": "alice"})
    client.login("account_import", {"UserID": "alice"})
    client.login("account_import", {"UserID": "alice", "Nick": "A"})
    stats = client.admin("GET", "stats")
    assert stats["calls"][LOGIN + "/account_import"] == 3 and stats["writes"][LOGIN + "/account_import"] == 2


@pytest.mark.parametrize("body,code", [
    ({}, 70402),
    ({"UserID": ""}, 70402),
    ({"UserID": "a" * 33}, 70402),
    ({"UserID": "user_1"}, 70402),           # use-limits.md: letters and digits only
    ({"UserID": "caf\u00e9"}, 70402),
    ({"UserID": 12345}, 60015),              # REST common: the UserID must be a string
    ({"UserID": "ok", "Nick": 5}, 70402),
    ({"UserID": "ok", "Nick": "n" * 501}, 40601),
    ({"UserID": "ok", "FaceUrl": "u" * 501}, 40601),
])
def test_import_refusals(client, body, code):
    out = client.login("account_import", body)
    assert out["ErrorCode"] == code and out["ActionStatus"] == "FAIL", out
    assert client.admin("GET", "state")["accounts"] == []


def test_import_limits_inclusive(client):
    assert client.login("account_import", {"UserID": "a" * 32, "Nick": "\u8bdd" * 166 + "nn"})["ErrorCode"] == 0
    assert _check(client, "a" * 32)["ResultItem"][0]["AccountStatus"] == "Imported"


def test_check_request_limits(client):
    ids = ["user%d" % i for i in range(101)]
    assert len(_check(client, *ids[:100])["ResultItem"]) == 100
    for body, code in (({"CheckItem": [{"UserID": i} for i in ids]}, 70206),
                       ({"CheckItem": []}, 70206),
                       ({}, 70402),
                       ({"CheckItem": "alice"}, 70402),
                       ({"CheckItem": ["alice"]}, 70402),
                       ({"CheckItem": [{"User": "alice"}]}, 70402),
                       ({"CheckItem": [{"UserID": 7}]}, 60015)):
        out = client.login("account_check", body)
        assert out["ErrorCode"] == code and "ResultItem" not in out, (body, out)


def test_check_is_limited_to_100_calls_per_second(make_emu):
    c = make_emu(rate_limit=0).client()
    t0 = time.monotonic()
    codes = [c.login("account_check", {"CheckItem": [{"UserID": "a"}]})["ErrorCode"] for _call in range(105)]
    assert time.monotonic() - t0 < 1.0, "too slow to test a 1 s window"
    assert codes[:100] == [0] * 100 and codes[100:] == [60007] * 5
    # account_import has the pages' 200/s, here the emulator-wide rate_limit (off)
    assert all(c.login("account_import", {"UserID": "u%d" % i})["ErrorCode"] == 0 for i in range(105))


def test_login_service_is_known(client):
    assert client.login("account_delete", {})["ErrorCode"] == 10003
    assert client.login("no_such_command", {})["ErrorCode"] == 10003
    assert client.call("im_open_nope_svc/account_import", {})["ErrorCode"] == 60009


# --- --require-accounts ---------------------------------------------------------------------------
def test_require_accounts_owner_must_be_imported(make_emu):
    c = make_emu(require_accounts=True).client()
    body = {"Type": "Community", "Name": "c", "Owner_Account": "carol", "SupportTopic": 1}
    out = c.group("create_group", body)
    assert out["ErrorCode"] == 10019 and "carol" in out["ErrorInfo"]
    assert c.admin("GET", "state")["groups"] == []
    assert c.login("account_import", {"UserID": "carol"})["ErrorCode"] == 0
    gid = c.group("create_group", body)["GroupId"]
    assert c.group_info(gid)["Owner_Account"] == "carol"
    # an app admin is an existing account; no owner at all needs no account
    assert c.group("create_group", dict(body, Owner_Account=ADMIN))["ErrorCode"] == 0
    assert c.group("create_group", {"Type": "Public", "Name": "p"})["ErrorCode"] == 0
    # pages do not say create_topic's From_Account or MemberList accounts must be imported: not checked
    assert c.topic("create_topic", {"GroupId": gid, "TopicName": "t", "From_Account": "nobody"})["ErrorCode"] == 0
    assert c.group("create_group", dict(body, MemberList=[{"Member_Account": "nobody"}]))["ErrorCode"] == 0


def test_without_require_accounts_any_owner_goes(client):
    out = client.group("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "never_imported"})
    assert out["ErrorCode"] == 0
    cfg = client.admin("POST", "config", {"require_accounts": True})
    assert cfg["require_accounts"] is True
    out = client.group("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "never_imported"})
    assert out["ErrorCode"] == 10019
    assert client.call(GROUP + "/create_group", {"Type": "Public", "Name": "p"})["ErrorCode"] == 0

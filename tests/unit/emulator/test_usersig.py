"""UserSig verification: TLSSigAPIv2 sigs accepted, broken ones rejected with the documented codes."""

import base64
import json
import time
import zlib

import pytest
import TLSSigAPIv2 as tls

from tests.emulator import usersig
from tests.unit.emulator._helpers import ADMIN, GROUP, KEY, MILLION, SDKAPPID, gen_sig


def _decode(sig):
    raw = base64.b64decode(sig.replace("*", "+").replace("-", "/").replace("_", "="))
    return json.loads(zlib.decompress(raw))


def _encode(doc):
    b = base64.b64encode(zlib.compress(json.dumps(doc).encode())).decode()
    return b.replace("+", "*").replace("/", "-").replace("=", "_")


def test_oracle_sig_verifies():
    sig = gen_sig()
    doc = usersig.verify_usersig(sig, ADMIN, str(SDKAPPID), SDKAPPID, KEY)
    assert doc["TLS.identifier"] == ADMIN


def test_oracle_sig_with_userbuf_verifies():
    sig = tls.TLSSigAPIv2(SDKAPPID, KEY).gen_sig_with_userbuf(ADMIN, 600, b"buf")
    usersig.verify_usersig(sig, ADMIN, str(SDKAPPID), SDKAPPID, KEY)


@pytest.mark.parametrize("sig,code", [
    ("", usersig.SIG_EMPTY),
    ("not base64 at all!!", usersig.SIG_BAD_ENCODING),
    (base64.b64encode(b"not zlib").decode(), usersig.SIG_BAD_ENCODING),
    (_encode(["list"]), usersig.SIG_BAD_CONTENT),
    (_encode({"TLS.ver": "2.0"}), usersig.SIG_BAD_CONTENT),
])
def test_garbage_codes(sig, code):
    with pytest.raises(usersig.UserSigError) as exc:
        usersig.verify_usersig(sig, ADMIN, str(SDKAPPID), SDKAPPID, KEY)
    assert exc.value.code == code


def test_tampered_sig_is_hmac_mismatch():
    doc = _decode(gen_sig())
    doc["TLS.expire"] += 1  # re-encoded, well formed, but the HMAC no longer matches
    with pytest.raises(usersig.UserSigError) as exc:
        usersig.verify_usersig(_encode(doc), ADMIN, str(SDKAPPID), SDKAPPID, KEY)
    assert exc.value.code == 70009


def _codes(client, **query):
    out = client.call(MILLION + "/get_topic", {"GroupId": "@TGS#_x", "From_Account": ADMIN}, query=query)
    return out["ErrorCode"], out


def test_http_accepts_oracle_sig(client, gid):
    out = client.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})
    assert out["ErrorCode"] == 0 and out["ActionStatus"] == "OK"


def test_http_wrong_key(client):
    assert _codes(client, usersig=gen_sig(key="another-key"))[0] == 70009


def test_http_tampered(client):
    doc = _decode(client.sig)
    doc["TLS.time"] += 5
    assert _codes(client, usersig=_encode(doc))[0] == 70009


def test_http_expired(client, monkeypatch):
    real = time.time
    monkeypatch.setattr(tls.time, "time", lambda: real() - 1000)
    old = gen_sig(expire=100)
    monkeypatch.undo()
    code, out = _codes(client, usersig=old)
    assert code == 70001, out


def test_http_not_yet_expired_boundary(client, monkeypatch):
    real = time.time
    monkeypatch.setattr(tls.time, "time", lambda: real() - 100)
    sig = gen_sig(expire=200)
    monkeypatch.undo()
    assert _codes(client, usersig=sig)[0] != 70001


def test_http_identifier_mismatch(client):
    assert _codes(client, usersig=gen_sig(identifier="someone"))[0] == 70013


def test_http_sdkappid_mismatch(client):
    # sig made for another app, request claims ours
    assert _codes(client, usersig=gen_sig(sdkappid=1400000001))[0] == 70014


def test_http_unknown_sdkappid(client):
    # sig and request agree on an app that is not this emulator's
    sig = gen_sig(sdkappid=1400000001)
    assert _codes(client, usersig=sig, sdkappid="1400000001")[0] == 70020


def test_http_garbage_sig(client):
    assert _codes(client, usersig="garbage")[0] == 70003
    assert _codes(client, usersig=_encode({"hello": 1}))[0] == 70005


def test_http_empty_sig(client):
    assert _codes(client, usersig="")[0] == 70002


def test_http_non_admin(emu):
    c = emu.client(identifier="alice")
    out = c.call(MILLION + "/get_topic", {"GroupId": "@TGS#_x", "From_Account": "alice"})
    assert out["ErrorCode"] == 60010


def test_http_extra_admin(make_emu):
    emu = make_emu(admins=["administrator", "ops"])
    c = emu.client(identifier="ops")
    assert c.call(GROUP + "/create_group", {"Type": "Community", "Name": "x", "SupportTopic": 1})["ErrorCode"] == 0


@pytest.mark.parametrize("query,code", [
    ({"sdkappid": None}, 60012),
    ({"sdkappid": "abc"}, 60006),
    ({"identifier": None}, 60004),
    ({"random": None}, 60002),
    ({"random": "4294967296"}, 60002),
    ({"random": "-1"}, 60002),
])
def test_http_query_params(client, query, code):
    assert _codes(client, **query)[0] == code


def test_http_random_max_ok(client, gid):
    out = client.call(MILLION + "/get_topic", {"GroupId": gid, "From_Account": ADMIN},
                      query={"random": "4294967295"})
    assert out["ErrorCode"] == 0

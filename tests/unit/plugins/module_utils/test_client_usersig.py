# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import json
import zlib

import pytest

from ansible_collections.tim.chat.plugins.module_utils._usersig import generate_usersig

TLSSigAPIv2 = pytest.importorskip("TLSSigAPIv2")

SDKAPPID = 1400000000
KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"


def decode(sig):
    return json.loads(zlib.decompress(TLSSigAPIv2.base64_decode_url(sig.encode("ascii"))))


def test_same_bytes_as_tencents_implementation(monkeypatch):
    monkeypatch.setattr(TLSSigAPIv2.time, "time", lambda: 1700000000.5)
    reference = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig("administrator", 3600)
    ours = generate_usersig(SDKAPPID, KEY, "administrator", 3600, now=1700000000.5)
    assert ours == reference


def test_hmac_verifies_with_the_reference_algorithm():
    document = decode(generate_usersig(SDKAPPID, KEY, "admin", 600, now=1700000000))
    assert document["TLS.ver"] == "2.0"
    assert document["TLS.identifier"] == "admin"
    assert document["TLS.sdkappid"] == SDKAPPID
    assert (document["TLS.time"], document["TLS.expire"]) == (1700000000, 600)
    content = "TLS.identifier:admin\nTLS.sdkappid:%d\nTLS.time:1700000000\nTLS.expire:600\n" % SDKAPPID
    expected = base64.b64encode(hmac.new(KEY.encode(), content.encode(), hashlib.sha256).digest()).decode()
    assert document["TLS.sig"] == expected


def test_reference_sig_decodes_with_our_alphabet():
    sig = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig("someone", 100)
    assert not set(sig) & set("+/=")
    assert decode(sig)["TLS.identifier"] == "someone"


def test_a_different_key_gives_a_different_signature():
    one = decode(generate_usersig(SDKAPPID, KEY, "admin", 600, now=1))
    other = decode(generate_usersig(SDKAPPID, KEY + "x", "admin", 600, now=1))
    assert one["TLS.sig"] != other["TLS.sig"]

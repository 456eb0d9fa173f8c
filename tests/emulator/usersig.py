"""UserSig (HMAC-SHA256, "TLS.ver 2.0") verification, written from reference/usersig.md and SPEC §3.

A UserSig is: JSON {"TLS.ver": "2.0", "TLS.identifier", "TLS.sdkappid" (int), "TLS.time" (int),
"TLS.expire" (int), "TLS.sig"}, zlib-compressed, base64-encoded with the URL-safe substitutions
``+`` -> ``*``, ``/`` -> ``-``, ``=`` -> ``_``.  ``TLS.sig`` is the standard base64 of
HMAC-SHA256(secret key, "TLS.identifier:{id}\\nTLS.sdkappid:{appid}\\nTLS.time:{t}\\nTLS.expire:{ttl}\\n")
(plus "TLS.userbuf:{b64}\\n" when a userbuf is present).

Only the standard library is used.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
import zlib

from .state import ApiError

# Error codes (reference/error-codes.md, "Account / UserSig" table).
SIG_EXPIRED = 70001          # UserSig expired
SIG_EMPTY = 70002            # UserSig is 0 bytes
SIG_BAD_ENCODING = 70003     # Invalid UserSig (cannot be decoded: base64 / zlib)
SIG_BAD_CONTENT = 70005      # Invalid UserSig (decoded, but not a well-formed v2 sig)
SIG_HMAC_MISMATCH = 70009    # signed with another key / tampered
SIG_IDENTIFIER_MISMATCH = 70013
SIG_SDKAPPID_MISMATCH = 70014
SDKAPPID_NOT_FOUND = 70020   # the request's (and sig's) SDKAppID is not this app


class UserSigError(ApiError):
    """A UserSig the backend rejects: an API error with one of the 700xx codes."""


def _b64url_decode(text):
    std = text.replace("*", "+").replace("-", "/").replace("_", "=")
    return base64.b64decode(std.encode("ascii"), validate=True)


def decode_usersig(usersig):
    """Return the decoded JSON dict of a UserSig or raise UserSigError (70002/70003/70005)."""
    if not usersig:
        raise UserSigError(SIG_EMPTY, "UserSig is empty")
    try:
        raw = _b64url_decode(usersig)
    except (binascii.Error, ValueError, UnicodeError):
        raise UserSigError(SIG_BAD_ENCODING, "UserSig is not valid base64")
    try:
        plain = zlib.decompress(raw)
    except zlib.error:
        raise UserSigError(SIG_BAD_ENCODING, "UserSig cannot be decompressed")
    try:
        doc = json.loads(plain.decode("utf-8"))
    except (ValueError, UnicodeError):
        raise UserSigError(SIG_BAD_CONTENT, "UserSig payload is not JSON")
    if not isinstance(doc, dict):
        raise UserSigError(SIG_BAD_CONTENT, "UserSig payload is not a JSON object")
    if doc.get("TLS.ver") != "2.0":
        raise UserSigError(SIG_BAD_CONTENT, "UserSig TLS.ver is not 2.0")
    for key, typ in (("TLS.identifier", str), ("TLS.sig", str)):
        if not isinstance(doc.get(key), typ):
            raise UserSigError(SIG_BAD_CONTENT, "UserSig field %s missing or not a string" % key)
    for key in ("TLS.sdkappid", "TLS.time", "TLS.expire"):
        val = doc.get(key)
        if isinstance(val, bool) or not isinstance(val, int):
            raise UserSigError(SIG_BAD_CONTENT, "UserSig field %s missing or not an integer" % key)
    if "TLS.userbuf" in doc and not isinstance(doc["TLS.userbuf"], str):
        raise UserSigError(SIG_BAD_CONTENT, "UserSig field TLS.userbuf is not a string")
    return doc


def compute_sig(secret_key, identifier, sdkappid, sig_time, expire, userbuf_b64=None):
    """Standard-base64 HMAC-SHA256 over the documented content string."""
    content = ("TLS.identifier:%s\nTLS.sdkappid:%s\nTLS.time:%s\nTLS.expire:%s\n"
               % (identifier, sdkappid, sig_time, expire))
    if userbuf_b64 is not None:
        content += "TLS.userbuf:%s\n" % userbuf_b64
    digest = hmac.new(secret_key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_usersig(usersig, identifier, sdkappid, app_sdkappid, secret_key, now=None):
    """Verify a request's UserSig.

    ``identifier`` and ``sdkappid`` come from the request's query string, ``app_sdkappid`` and
    ``secret_key`` from the emulator configuration.  Returns the decoded sig; raises UserSigError.
    Check order: decode (70002/70003/70005) -> sig's sdkappid vs request's (70014) -> sig's identifier
    vs request's (70013) -> request's sdkappid vs this app (70020) -> HMAC (70009) -> expiry (70001).
    """
    doc = decode_usersig(usersig)
    if str(doc["TLS.sdkappid"]) != str(sdkappid):
        raise UserSigError(SIG_SDKAPPID_MISMATCH,
                           "the SDKAppID in the request does not match the one in the UserSig")
    if doc["TLS.identifier"] != identifier:
        raise UserSigError(SIG_IDENTIFIER_MISMATCH,
                           "the identifier in the request does not match the one in the UserSig")
    if str(sdkappid) != str(app_sdkappid):
        raise UserSigError(SDKAPPID_NOT_FOUND, "SDKAppID %s not found" % sdkappid)
    expected = compute_sig(secret_key, doc["TLS.identifier"], doc["TLS.sdkappid"], doc["TLS.time"],
                           doc["TLS.expire"], doc.get("TLS.userbuf"))
    if not hmac.compare_digest(expected.encode("ascii"), doc["TLS.sig"].encode("utf-8", "replace")):
        raise UserSigError(SIG_HMAC_MISMATCH, "UserSig verification failed (wrong key or tampered)")
    if now is None:
        now = time.time()
    if doc["TLS.time"] + doc["TLS.expire"] < int(now):
        raise UserSigError(SIG_EXPIRED, "UserSig expired")
    return doc

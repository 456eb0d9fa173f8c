# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""UserSig v2 (HMAC-SHA256) for the Chat REST API, standard library only.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import json
import time
import zlib


def _signature(secret_key, identifier, sdkappid, issued_at, ttl):
    content = (
        "TLS.identifier:%s\nTLS.sdkappid:%s\nTLS.time:%s\nTLS.expire:%s\n"
        % (identifier, sdkappid, issued_at, ttl)
    )
    digest = hmac.new(secret_key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def generate_usersig(sdkappid, secret_key, identifier, ttl, now=None):
    """Return a UserSig for ``identifier`` valid ``ttl`` seconds from ``now``."""
    issued_at = int(time.time() if now is None else now)
    document = {
        "TLS.ver": "2.0",
        "TLS.identifier": str(identifier),
        "TLS.sdkappid": int(sdkappid),
        "TLS.expire": int(ttl),
        "TLS.time": issued_at,
        "TLS.sig": _signature(secret_key, identifier, int(sdkappid), issued_at, int(ttl)),
    }
    compressed = zlib.compress(json.dumps(document).encode("utf-8"))
    encoded = base64.b64encode(compressed).decode("ascii")
    return encoded.replace("+", "*").replace("/", "-").replace("=", "_")

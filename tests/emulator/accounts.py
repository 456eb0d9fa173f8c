"""Account commands (im_open_login_svc): account_import and account_check, written from
reference/account-import.md, account-check.md, use-limits.md and error-codes.md."""

from .api import LOGIN_SVC, SCALAR, command
from .state import ApiError, _utf8_len

# --- codes ---------------------------------------------------------------------------------------
INVALID_PARAM = 70402          # both pages: "Invalid parameter"
BATCH_QUANTITY = 70206         # error-codes.md account codes: "Invalid batch quantity in the request."
PROFILE_VALUE_TOO_LONG = 40601  # account-import.md: "The Value of a profile field exceeds 500 bytes."
ACCOUNT_TYPE = 60015           # REST common: "Ensure that the UserID is in string format."

MAX_USER_ID_BYTES = 32         # account-import.md, use-limits.md
MAX_PROFILE_VALUE_BYTES = 500  # account-import.md (40601); Nick / FaceUrl are profile fields
MAX_CHECK_ITEMS = 100          # account-check.md
_USER_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

ACCOUNT_IMPORT_FIELDS = {"UserID": SCALAR, "Nick": SCALAR, "FaceUrl": SCALAR}
ACCOUNT_CHECK_FIELDS = {"CheckItem": [{"UserID": SCALAR}]}


def _user_id(obj, where="UserID"):
    if "UserID" not in obj or obj["UserID"] is None:
        raise ApiError(INVALID_PARAM, "%s is required" % where)
    val = obj["UserID"]
    if not isinstance(val, str):
        raise ApiError(ACCOUNT_TYPE, "%s must be a string" % where)
    return val


def account_import(app, body, request):
    user_id = _user_id(body)
    n = _utf8_len(user_id)
    if n == 0 or n > MAX_USER_ID_BYTES:
        raise ApiError(INVALID_PARAM, "UserID must be 1 to %d bytes (it is %d)" % (MAX_USER_ID_BYTES, n))
    if not set(user_id) <= _USER_ID_CHARS:
        # use-limits.md: "English letters or numbers are supported. Special characters are not allowed."
        raise ApiError(INVALID_PARAM, "UserID %r: only English letters and digits are allowed" % user_id)
    profile = {}
    for key in ("Nick", "FaceUrl"):
        if key in body and body[key] is not None:
            val = body[key]
            if not isinstance(val, str):
                raise ApiError(INVALID_PARAM, "%s must be a string" % key)
            if _utf8_len(val) > MAX_PROFILE_VALUE_BYTES:
                raise ApiError(PROFILE_VALUE_TOO_LONG, "%s is %d bytes; a profile value is at most %d bytes"
                               % (key, _utf8_len(val), MAX_PROFILE_VALUE_BYTES))
            profile[key] = val
    s = app.state
    with s.lock:
        current = s.accounts.get(user_id)
        record = dict(current or {"UserID": user_id})
        record.update(profile)
        changed = record != current
        if changed:
            s.accounts[user_id] = record
            s.save()
    return {}, changed


def account_check(app, body, request):
    items = body.get("CheckItem")
    if items is None:
        raise ApiError(INVALID_PARAM, "CheckItem is required")
    if not isinstance(items, list):
        raise ApiError(INVALID_PARAM, "CheckItem must be an array of {\"UserID\": ...}")
    if not 1 <= len(items) <= MAX_CHECK_ITEMS:
        raise ApiError(BATCH_QUANTITY, "CheckItem has %d accounts; 1 to %d per request"
                       % (len(items), MAX_CHECK_ITEMS))
    ids = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(INVALID_PARAM, "CheckItem[%d] must be an object {\"UserID\": ...}" % index)
        ids.append(_user_id(item, "CheckItem[%d].UserID" % index))
    with app.state.lock:
        imported = [uid in app.admins or uid in app.state.accounts for uid in ids]
    return {"ResultItem": [{"UserID": uid, "ResultCode": 0, "ResultInfo": "",
                            "AccountStatus": "Imported" if ok else "NotImported"}
                           for uid, ok in zip(ids, imported)]}, False


COMMANDS = {
    # account-import.md: 200 calls/s; account-check.md and use-limits.md: 100 calls/s
    (LOGIN_SVC, "account_import"): command(account_import, True, ACCOUNT_IMPORT_FIELDS, invalid_code=INVALID_PARAM),
    (LOGIN_SVC, "account_check"): command(account_check, False, ACCOUNT_CHECK_FIELDS, invalid_code=INVALID_PARAM,
                                          rate_limit=100),
}

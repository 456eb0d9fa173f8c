"""The command table's shape, and the request-field check of ``--strict``.

Each command module (topics.py, groups.py, accounts.py, ...) exports ``COMMANDS``, a dict
``(service, command) -> Command``; server.py merges these tables.  Adding a command is one entry:

    COMMANDS = {
        (GROUP_SVC, "get_group_info"): command(get_group_info, write=False, fields=GET_GROUP_INFO_FIELDS),
    }

A handler is ``handler(app, body, request) -> (response_fields, committed_write)``; it raises
``state.ApiError(code, info)`` to refuse the request.  ``request`` carries the caller's identifier,
the client IP and the config snapshot of this request.

``fields`` is the set of request fields the command's page documents, used by ``--strict``:
a dict ``name -> shape`` where a shape is ``SCALAR`` (any JSON scalar, or anything the handler
checks itself), ``LIST`` (array of scalars), ``[schema]`` (array of objects of that schema) or
``{...}`` (an object of that schema).  ``fields=None`` means "not declared": strict mode then checks
only for nulls.
"""

import collections

GROUP_SVC = "group_open_http_svc"
MILLION_SVC = "million_group_open_http_svc"
LOGIN_SVC = "im_open_login_svc"

INVALID_PARAM = 10004          # group services (error-codes.md, group error codes)
FREQUENCY_LIMIT = 60007        # REST common: "RESTful API call frequency limit exceeded"

SCALAR = None
LIST = [SCALAR]

Command = collections.namedtuple(
    "Command", "handler write fields invalid_code rate_limit throttle_code")
Request = collections.namedtuple("Request", "identifier client_ip config")


def command(handler, write, fields=None, invalid_code=INVALID_PARAM, rate_limit=None,
            throttle_code=FREQUENCY_LIMIT):
    """``rate_limit``: the page's own calls/s for this command (None = the emulator-wide
    ``--rate-limit``); ``throttle_code``: the code answered when it is exceeded;
    ``invalid_code``: this service's "invalid parameter" code (strict mode uses it)."""
    return Command(handler, write, fields, invalid_code, rate_limit, throttle_code)


def strict_problem(fields, body, path=""):
    """First problem of ``body`` against the documented ``fields`` as ``(path, what)``, or None.
    ``what`` is "unknown field" or "null value"."""
    for key, value in body.items():
        name = path + key
        if fields is not None and key not in fields:
            return name, "unknown field"
        problem = _value_problem(fields.get(key) if fields is not None else SCALAR, value, name)
        if problem:
            return problem
    return None


def _value_problem(shape, value, name):
    if value is None:
        return name, "null value"
    if isinstance(value, list):
        inner = shape[0] if isinstance(shape, list) and shape else SCALAR
        for index, item in enumerate(value):
            problem = _value_problem(inner, item, "%s[%d]" % (name, index))
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        if isinstance(shape, dict):
            return strict_problem(shape, value, name + ".")
        # an object where the page documents a scalar / a scalar array: the handler refuses the
        # type; only look for nulls inside
        return strict_problem(None, value, name + ".")
    return None

# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns what the Chat API's error codes mean and the error types every tim.chat module raises and reports.

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The request was refused before anything was done: retrying is always safe.
THROTTLE_CODES = frozenset([10006, 60007, 60011, 60018, 60019])
# The backend failed or timed out: a write may or may not have happened.
TRANSIENT_CODES = frozenset([10002, 70169, 70202, 70500])
WEBHOOK_REFUSAL_CODES = frozenset([10016]) | frozenset(range(10100, 10201))
# The commands a backend answers for a path it does not know.
UNKNOWN_COMMAND_CODES = frozenset([10003, 60009])

ERROR_SENTENCES = {
    10002: "the Chat backend had an internal error (retries exhausted)",
    10003: "the Chat backend does not know this API command",
    10004: "the Chat backend rejected a parameter as invalid",
    10006: "the Chat backend kept refusing calls for exceeding its frequency limit",
    10007: "the admin account lacks the permission for this operation",
    10008: "the Chat backend could not verify the request's signature",
    10010: "the group or topic does not exist or has been deleted",
    10015: "the group ID is invalid",
    10016: "the app's webhook refused the operation",
    10021: "the topic ID is already in use",
    10037: "the community has reached its topic quota",
    11000: "topics are not enabled for this group (a community has them only when it is created with them; they "
           "cannot be turned on afterwards)",
    110003: "the topic has been deleted",
    60009: "the Chat backend does not know this API service",
    60010: "the identifier is not an app admin account (REST API calls need one)",
    60007: "the REST API frequency limit was exceeded (retries exhausted)",
    60011: "the SDKAppID frequency limit was exceeded (retries exhausted)",
    60018: "the Chat backend answered too many requests (retries exhausted)",
    60019: "the Chat backend answered too many requests (retries exhausted)",
    70001: "the UserSig has expired; generate a new one or use secret_key",
    70003: "the UserSig is invalid",
    70005: "the UserSig is invalid",
    70009: "UserSig verification failed: the secret key does not belong to this sdkappid",
    70013: "the identifier does not match the identifier the UserSig was made for",
    70014: "the sdkappid does not match the sdkappid the UserSig was made for",
    70020: "the sdkappid was not found",
    70169: "the Chat backend timed out (retries exhausted)",
    70202: "the Chat backend timed out (retries exhausted)",
    70500: "the Chat backend had an internal error (retries exhausted)",
    80001: "the content failed the Chat security check",
    80005: "the content failed the Chat security check",
}


class TimApiError(Exception):
    """An API call that ended in a non-zero ErrorCode, or could not be completed (``code`` None)."""

    def __init__(self, api, code, info):
        self.api = api
        self.code = code
        self.info = info or ""
        super(TimApiError, self).__init__(self.sentence())

    @property
    def is_webhook_refusal(self):
        return self.code in WEBHOOK_REFUSAL_CODES

    def sentence(self):
        if self.code is None:
            return "%s failed: %s" % (self.api, self.info)
        if 10100 <= self.code <= 10200:
            meaning = "the app's webhook refused the operation with its own code"
        else:
            meaning = ERROR_SENTENCES.get(self.code, "the Chat backend answered an error")
        return "%s failed with error %s: %s (%s)" % (self.api, self.code, meaning, self.info)

    def about(self, label):
        """One sentence on this error for the resource named ``label`` (e.g. "topic 'News'")."""
        if self.is_webhook_refusal and self.api.endswith("create_topic"):
            return "the app's Group.CallbackBeforeCreateTopic webhook refused creating %s (%s, %s)" % (
                label, self.code, self.info)
        return "%s: %s" % (label, self)

    def as_result(self):
        return dict(error_code=self.code, error_info=self.info, api=self.api)


class OutcomeUnknown(TimApiError):
    """A call whose request may have reached the backend but whose answer was lost.

    ``sent_at`` (the client's clock) is set when no answer came at all: the backend may still be
    working on the request.
    """

    sent_at = None


class ConnectionFailed(TimApiError):
    """The API could not be reached at all (refused, unknown host, TLS, local set-up): nothing was sent.

    ``tries``: how many more times it is worth trying: 0 (an unknown host, TLS), 1 (a refused connection: a server
    that is just starting), or None (a connect timeout: as many as the call's retries).
    """

    def __init__(self, api, code, info, tries=0):
        super(ConnectionFailed, self).__init__(api, code, info)
        self.tries = tries


class InvalidInput(ValueError):
    """Input that cannot be carried out; raised before any write, the message names the item and the rule."""


def summarize_failures(failures, limit=5):
    """'; '-joined sentences for [(label, TimApiError)], the first ``limit`` of them."""
    sentences = [error.about(label) for label, error in failures[:limit]]
    more = " (and %d more)" % (len(failures) - limit) if len(failures) > limit else ""
    return "; ".join(sentences) + more

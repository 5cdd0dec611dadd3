"""Schemathesis hooks for scripts/schemathesis.sh.

`filter_failure` drops exactly the failures that an OpenAPI document cannot prevent, each for the
reason written next to it; every other failure fails the run. The run's summary counts the
failures dropped here, so none disappears silently.
"""

import json
import re

import schemathesis

# A JSON number such as `5053.0` is an integer to JSON Schema, so schemathesis generates it for
# `type: integer`; serde reads it as a float and the server answers 422. Intended: the API takes
# integers written as integers.
FLOAT_FOR_INTEGER = re.compile(r"^invalid type: floating point `-?[0-9]+\.0`, expected [iu][0-9]+")

IF_MATCH = re.compile(r'^(\*|(W/)?"[0-9]+")$')


def _problem(response):
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def _unfulfillable(error):
    """A field error that schema-valid data can still earn, for a reason no schema can state."""
    field = error.get("field", "")
    code = error.get("code", "")
    message = error.get("message", "")
    # The field names a record (by id) that does not exist in the organization: existence of a
    # referenced record is not a property of the request's shape.
    if code == "not_found":
        return True
    # Cursors are opaque and only valid as the server issued them (`next_cursor`).
    if field == "cursor" and code == "invalid":
        return True
    # The current password is a secret the fuzzer cannot know.
    if field == "current_password" and code == "incorrect":
        return True
    if FLOAT_FOR_INTEGER.match(message):
        return True
    return False


def _if_match(case):
    headers = case.headers or {}
    for name, value in headers.items():
        if name.lower() == "if-match":
            return value
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep (True) every failure but the ones documented above."""
    problem = _problem(response)
    kind = str((problem or {}).get("type", ""))
    if failure.code == "ST201" and response.status_code == 412:  # invalid request accepted
        # A malformed If-Match names no version, so it is refused like a stale one (RFC 9110
        # 13.1.1), with the documented 412: a rejection, which schemathesis' list lacks.
        if_match = _if_match(case)
        if if_match is not None and not IF_MATCH.match(str(if_match)):
            return False
    if failure.code == "ST202":  # schema-valid request rejected
        if problem is None:
            return True
        # A well-formed If-Match that is not the current version: which version is current is
        # state, not shape (the 412 is documented).
        if response.status_code == 412 and kind.endswith("/precondition-failed"):
            return False
        # Emailed codes: only the code the server sent is right.
        if response.status_code == 400 and kind.endswith("/invalid-code"):
            return False
        errors = problem.get("errors") or []
        if response.status_code == 422 and errors and all(_unfulfillable(e) for e in errors):
            return False
    return True

"""Schemathesis hooks for scripts/schemathesis.sh.

`filter_failure` drops exactly the failures that an OpenAPI document cannot prevent, each for the
reason written next to its rule; every other failure fails the run. Each dropped failure is
counted by rule in $SCHEMATHESIS_DROPPED_LOG (the script prints the counts), and schemathesis'
summary counts them too, so none disappears silently.
"""

import json
import os
import re

import schemathesis

# As openapi.rs IF_MATCH_PATTERN.
IF_MATCH = re.compile(r'^(\*|(W/)?"[0-9]{1,18}")$')

# Rules that relate two fields or a field and stored data, which a JSON Schema of one request
# cannot state: (field, code) as the server names them in `errors[]`.
CROSS_FIELD = {
    # A lead's estimated amount is money: it needs a currency.
    ("currency", "required"),
    # `to` must not be before `from` (deal forecast).
    ("to", "out_of_range"),
    # valid_until must not be before issue_date.
    ("valid_until", "out_of_range"),
    ("valid_until", "invalid"),
    # The deal named must belong to the quotation's client.
    ("deal_id", "mismatch"),
    # The default pipeline stays the default until another one is made the default: which
    # pipeline is the default is stored state, not the request's shape.
    ("is_default", "required"),
    # A file's record_type and record_id go together (attach needs both, detach clears both).
    ("record_id", "required"),
    ("record_type", "required"),
    # An invoice's due date must not come before its issue date (also the stored one), nor a
    # recurring template's end before its start.
    ("due_date", "out_of_range"),
    ("end_date", "out_of_range"),
    # A payment's allocations sum to at most its amount.
    ("allocations", "out_of_range"),
    # Stored balances: a credit note up to the invoice's balance due, an allocation or a refund
    # up to the payment's unapplied amount; issuing needs the stored draft to have lines.
    ("items", "exceeds_balance"),
    ("amount", "exceeds_unapplied"),
    ("items", "required"),
    # A payment allocates to an invoice once, of its client and currency (stored data).
    ("invoice_id", "duplicate"),
    ("invoice_id", "mismatch"),
    # An expense is approved for at most its stored amount.
    ("approved_amount", "out_of_range"),
    # A contract is terminated from a day of its stored term.
    ("effective_date", "out_of_range"),
    # A proposal is for a lead or a client: exactly one of lead_id and client_id, also after a
    # patch of the stored one.
    ("client_id", "required"),
    ("lead_id", "not_allowed"),
    # Sending needs a recipient: `to`, or the stored client's or lead's email.
    ("to", "required"),
    # A task's assignees are members of its project, its parent and milestone of the same
    # project (stored data); a time entry's task belongs to the project it names.
    ("assignee_ids", "not_a_member"),
    ("parent_id", "other_project"),
    ("milestone_id", "other_project"),
    ("depends_on_id", "other_project"),
    ("task_id", "other_project"),
    # A time entry names a project or a task (either, not a shape JSON Schema states here).
    ("project_id", "required"),
    # One person's day holds at most 1,440 minutes (their stored entries of that day).
    ("minutes", "day_full"),
    # A running timer gets its minutes when it stops: whether the stored entry is a running
    # timer is state.
    ("minutes", "timer_running"),
    # A training session's capacity cannot go below the enrollments it already holds.
    ("capacity", "below_enrolled"),
    # A task cannot become a subtask of its own subtask (stored parent links).
    ("parent_id", "cycle"),
    # A member is an active user (stored state).
    ("user_id", "inactive"),
    # A person is born before their hire date, hired before their stored termination, and
    # terminated on or after their stored hire date; a manager chain never loops (stored
    # managers).
    ("date_of_birth", "out_of_range"),
    ("hire_date", "out_of_range"),
    ("date", "out_of_range"),
    ("manager_id", "cycle"),
    # A job posting's salary_max is not below its salary_min, and a salary (either bound,
    # also the stored one) needs salary_currency.
    ("salary_max", "less_than_min"),
    ("salary_currency", "required"),
    # An interview ends after it starts, within 24 hours (also against the stored times).
    ("ends_at", "not_after_start"),
    ("ends_at", "too_long"),
    # Leave: a request ends on or after its start, takes a half day only when start = end,
    # holds working days of the person's stored schedule and holidays, fits the stored
    # balance, needs an employee record when it names none, and a type that is active; a
    # ledger's `to` is not before its `from`; an adjustment moves some days (not 0).
    ("end_date", "before_start"),
    ("half_day", "invalid"),
    ("start_date", "no_working_days"),
    ("days", "insufficient_balance"),
    ("employee_id", "required"),
    ("leave_type_id", "inactive"),
    ("to", "before_from"),
    ("days", "invalid"),
    # A punch checks out after it checks in (also against the stored times).
    ("check_out_at", "not_after_check_in"),
    # Calendar events: a timed event takes starts_at and ends_at, an all-day one start_date
    # (its times derived), as `all_day` (also the stored one) says; a recurrence needs a
    # time_zone, exdates need a recurrence; an RRULE's grammar and whether it can run from
    # the event's start (UNTIL after it, BYSETPOS with a set) are no JSON Schema; a split
    # names an occurrence of the stored series.
    ("starts_at", "required"),
    ("ends_at", "required"),
    ("starts_at", "not_allowed"),
    ("ends_at", "not_allowed"),
    ("start_date", "required"),
    ("start_date", "not_allowed"),
    ("end_date", "not_allowed"),
    ("time_zone", "required"),
    ("exdates", "not_allowed"),
    ("recurrence", "invalid"),
    ("recurrence_id", "invalid"),
}

# `POST /imports`: what the CSV and the mapping hold (see `_unfulfillable`).
IMPORT_CONTENT = {
    ("file", "invalid"),
    ("file", "empty"),
    ("file", "unknown_column"),
    ("file", "duplicate_column"),
    ("file", "duplicate_field"),
    ("mapping", "invalid"),
    ("mapping", "unknown_column"),
    ("mapping", "unknown_field"),
    ("mapping", "duplicate_field"),
}

# Leave dates are held to the years 1970-2199; a JSON Schema `date` string cannot state a range.
DATE_RANGE = {
    ("start_date", "out_of_range"),
    ("as_of", "out_of_range"),
    ("from", "out_of_range"),
}

# Instants of interviews are held to 2000–2037 (what MariaDB keeps of a bound TIMESTAMP); a
# JSON Schema `date-time` string cannot state a range.
INSTANT_RANGE = {
    ("starts_at", "out_of_range"),
    ("ends_at", "out_of_range"),
    # Attendance punches: the same bound.
    ("check_in_at", "out_of_range"),
    ("check_out_at", "out_of_range"),
    # A calendar occurrence named by its original start (split, override, cancel).
    ("recurrence_id", "out_of_range"),
}

# A calendar event's exdates are instants of the same 2000-2037 range.
EXDATE = re.compile(r"^exdates\[[0-9]+\]$")
ALLOCATION_INVOICE = re.compile(r"^allocations\[[0-9]+\]\.invoice_id$")

STAGE_NAME = re.compile(r"^stages\[[0-9]+\]\.name$")

# A work day's end differs from its start, its break is shorter than the shift, each weekday is
# listed once: rules across the fields of one day, or across the days.
WORK_DAY = re.compile(r"^days\[[0-9]+\]\.(end|break_minutes|weekday)$")

# Lines whose quantity times unit price (or whose sum) exceeds the largest amount: a product of
# two fields.
LINE_OVERFLOW = re.compile(r"^items(\[[0-9]+\]\.quantity)?$")


def _log(rule):
    path = os.environ.get("SCHEMATHESIS_DROPPED_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(rule + "\n")


def _problem(response):
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def _unfulfillable(error):
    """Why schema-valid data earned this field error, or None if the document should prevent it."""
    field = error.get("field", "")
    code = error.get("code", "")
    message = error.get("message", "")
    # The field names a record (by id) that does not exist in the organization: existence of a
    # referenced record is not a property of the request's shape.
    if code == "not_found":
        return "reference to a record that does not exist"
    # Cursors are opaque and only valid as the server issued them (`next_cursor`).
    if field == "cursor" and code == "invalid":
        return "cursor not issued by the server"
    # The current password is a secret the fuzzer cannot know.
    if field == "current_password" and code == "incorrect":
        return "wrong current password"
    if WORK_DAY.match(field) and code in ("invalid", "out_of_range", "duplicate"):
        return "a work day's hours, break and weekday across its fields"
    # A stage name may appear once per pipeline, ignoring case.
    if code == "duplicate" and STAGE_NAME.match(field):
        return "stage names repeat within a pipeline"
    # Whether a webhook url may be delivered to depends on what its host resolves to here
    # (DNS, and the loopback/private refusal), not on the request's shape.
    if field == "url" and code in ("unresolvable", "forbidden_target"):
        return "webhook url not resolvable here, or internal"
    # Webhook patterns name the server's event catalogue (GET /event-types).
    if field.startswith("event_types[") and code == "unknown":
        return "event type not in the catalogue"
    # An import's file must be UTF-8 CSV whose header names the resource's fields, and its
    # mapping a JSON object naming the file's columns: rules on a file's content and on the
    # JSON inside a text part, which a schema of the multipart body cannot state.
    if (field, code) in IMPORT_CONTENT:
        return f"import file or mapping content ({field} {code})"
    if (field, code) in CROSS_FIELD:
        return f"cross-field rule ({field} {code})"
    if (field, code) in INSTANT_RANGE or (EXDATE.match(field) and code == "out_of_range"):
        return "instant outside 2000-2037"
    if (field, code) in DATE_RANGE:
        return "leave date outside 1970-2199"
    if ALLOCATION_INVOICE.match(field) and code in ("duplicate", "mismatch"):
        return f"cross-field rule (allocations[].invoice_id {code})"
    if code == "out_of_range" and LINE_OVERFLOW.match(field) and "out of range" in message:
        return "quantity x unit price overflow"
    return None


def _if_match(case):
    for name, value in (case.headers or {}).items():
        if name.lower() == "if-match":
            return value
    return None


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _deleted_earlier(case, response):
    """Whether the record a 404 names was deleted before: its audit log holds a deletion.

    A create sent with an Idempotency-Key already used with the same body is answered with the
    first answer again (contract section 2), naming the record that first request made; when a
    later step deleted that record, schemathesis reports the replayed record as "created but not
    found". The audit log tells that case apart from a record that never existed.
    """
    import requests  # schemathesis' own HTTP client
    from urllib.parse import urlsplit

    request = getattr(response, "request", None)
    auth = request.headers.get("Authorization") if request is not None else None
    url = getattr(request, "url", None)
    if not auth or not url:
        return False
    parts = urlsplit(str(url))
    ids = UUID.findall(parts.path)
    if not ids:
        return False
    try:
        r = requests.get(
            f"{parts.scheme}://{parts.netloc}/api/v1/activities",
            params={"entity_id": ids[0], "limit": 200},
            headers={"Authorization": auth},
            timeout=10,
        )
        entries = r.json().get("data", []) if r.status_code == 200 else []
    except (requests.RequestException, ValueError):
        return False
    return any(e.get("action") == "deleted" for e in entries)


def _drop(rule):
    _log(rule)
    return False


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
            return _drop("412 for a malformed If-Match")
        # The version is checked before the fields are validated (preconditions first, RFC 9110
        # 13.2.2): a stale If-Match answers 412 whatever the body's fields.
        if kind.endswith("/precondition-failed"):
            return _drop("412 for a stale If-Match before the fields' 422")

    if failure.code == "ST302" and response.status_code == 404 and _deleted_earlier(case, response):
        return _drop("Idempotency-Key replay of a record deleted since")

    if failure.code == "ST201" and response.status_code < 300:
        # A query parameter drawn as a value with no query-string form (null) is left out of
        # the request, which is then a valid one: the parameter is optional.
        component = re.search(r"Invalid component: parameters? (.*)", str(failure.message))
        named = re.findall(r"`([^`]+)`", component.group(1)) if component else []
        request = getattr(response, "request", None)
        if named and request is not None:
            from urllib.parse import parse_qs, urlsplit

            sent = parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)
            if not any(n in sent for n in named):
                return _drop("invalid optional parameter left out of the request")
        message = str(failure.message)
        # A multipart body's text parts are text: a non-string drawn for one (an object, a
        # number) is sent as its JSON text, which is a valid value of that string part. The
        # part's content cannot tell the two apart, so no document can make it invalid.
        if str(getattr(case, "media_type", "") or "").startswith("multipart/form-data") and re.search(
            r"in body - violates `type` at /properties/[^ ]+ \(was string, became ", message
        ):
            return _drop("non-string drawn for a multipart text part, sent as its text")
        # Interaction summaries allow 10000 characters, too many for a counted pattern
        # (validators' regex size limits), so the document states `maxLength`, which counts
        # the whitespace the server trims before counting.
        if "summary: String larger than maxLength" in message:
            return _drop("summary padded with whitespace past maxLength")

    if failure.code == "ST202":  # schema-valid request rejected
        if problem is None:
            return True
        # A well-formed If-Match that is not the current version: which version is current is
        # state, not shape (the 412 is documented).
        if response.status_code == 412 and kind.endswith("/precondition-failed"):
            return _drop("stale If-Match (412)")
        # An Idempotency-Key already used for another request: what a key means is its history
        # (contract section 2), and schemathesis draws keys from a small space, sending one key
        # with different bodies. Replays of one key are tested in tests/e2e/idempotency.rs.
        if response.status_code == 422 and kind.endswith("/idempotency-key-reused"):
            return _drop("Idempotency-Key reused for another request (422)")
        # Emailed codes: only the code the server sent is right.
        if response.status_code == 400 and kind.endswith(("/invalid-code", "/code-exhausted")):
            return _drop("one-time code not issued by the server")
        errors = problem.get("errors") or []
        if response.status_code == 422 and errors:
            reasons = [_unfulfillable(e) for e in errors]
            if all(reasons):
                return _drop("; ".join(sorted(set(reasons))))
    return True


"""Fault injection: ordered rules matched per request, and what each action does.

A rule is ``{method, path_regex, nth | every | times, action: {type, ...}}``; the
first rule that fires wins. Actions: ``status`` (answer with a code and body),
``delay`` (sleep, then serve), ``rate_limit`` (a 429 with ``Retry-After``),
``reset_after_bytes`` (TCP reset after n body bytes), ``succeed_then_status``
(act, then answer with an error or a gateway page) and ``corrupt_checksum``
(an upload answers a wrong MD5).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from archive.zenodo.standin.replies import Abort, Reply
from archive.zenodo.standin.state import StandinState, now_iso


def match_fault(state: StandinState, method: str, path: str) -> dict[str, Any] | None:
    """The action of the first rule that fires for this request (counting it), or None."""
    for rule in state.faults:
        if rule.get("method", method).upper() != method:
            continue
        if not re.search(str(rule.get("path_regex", ".*")), path):
            continue
        rule["seen"] = int(rule.get("seen", 0)) + 1
        seen = rule["seen"]
        if "nth" in rule:
            fire = seen == int(rule["nth"])
        elif "every" in rule:
            fire = seen % int(rule["every"]) == 0
        else:
            times = int(rule.get("times", 1))
            fire = times < 0 or int(rule.get("fired", 0)) < times
        if fire:
            rule["fired"] = int(rule.get("fired", 0)) + 1
            state.fault_log.append({"method": method, "path": path, "action": rule["action"], "at": now_iso()})
            state.save()
            return dict(rule["action"])
    return None


@dataclass(frozen=True)
class FaultEffect:
    """What a fault leaves for the request to do once it is served normally."""

    after: dict[str, Any] | None = None
    corrupt: bool = False
    reset_after: int | None = None


def apply_fault(fault: dict[str, Any], body_left: int) -> FaultEffect:
    """Act on a fault before the request is served: raise the answer, or say what changes."""
    kind = fault.get("type")
    if kind == "delay":
        time.sleep(float(fault.get("seconds", 1)))
    elif kind == "status":
        code = int(fault.get("code", 500))
        ctype = str(fault.get("content_type", "application/json"))
        body = fault.get("body")
        raw = body.encode() if isinstance(body, str) else None
        raise Reply(code, None if raw is not None else (body or {"status": code, "message": "fault"}),
                    fault.get("headers") or {}, raw, ctype)
    elif kind == "rate_limit":
        retry_after = int(fault.get("retry_after", 1))
        raise Reply(429, {"status": 429, "message": "100 per 1 minute"},
                    {"Retry-After": str(retry_after), "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Reset": str(int(time.time()) + retry_after)})
    elif kind == "reset_after_bytes":
        reset_after = int(fault.get("n", 0))
        if body_left == 0 or reset_after <= 0:
            raise Abort()
        return FaultEffect(reset_after=reset_after)
    elif kind == "succeed_then_status":
        return FaultEffect(after=fault)
    elif kind == "corrupt_checksum":
        return FaultEffect(corrupt=True)
    return FaultEffect()


def after_success(fault: dict[str, Any]) -> Reply:
    """The error that replaces a successful answer (``succeed_then_status``): nginx pages for 502/504."""
    code = int(fault.get("code", 504))
    if code in (502, 504):
        html = (f"<html><head><title>{code} {HTTPStatus(code).phrase}</title></head><body><center><h1>"
                f"{code} {HTTPStatus(code).phrase}</h1></center><hr><center>nginx</center></body></html>")
        return Reply(code, raw=html.encode(), content_type="text/html")
    return Reply(code, {"status": code, "message": "fault after success"})

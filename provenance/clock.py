"""Time, in one place: RFC 3339 text, ``SOURCE_DATE_EPOCH``, and "now".

Every timestamp we write is RFC 3339 UTC with a ``Z`` and whole seconds
(``2026-11-22T01:00:00Z``). The library never reads the environment: the CLI
reads ``SOURCE_DATE_EPOCH`` once and hands :func:`parse_source_date_epoch`
its text; the resulting epoch (or None, meaning "now") is passed down.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from provenance.errors import InputError

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
_MAX_EPOCH_DIGITS = 12  # year 33658: far beyond any date we format, small enough to never be slow
_RFC3339_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def rfc3339(moment: datetime) -> str:
    """``moment`` as RFC 3339 UTC with ``Z``, to the second (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """Now, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def from_epoch(epoch: int) -> datetime:
    """The UTC moment of a Unix time in seconds."""
    return datetime.fromtimestamp(epoch, UTC)


def moment(epoch: int | None) -> datetime:
    """``epoch`` as a UTC moment, or now when it is None (the one rule for "the clock of this run")."""
    return utc_now() if epoch is None else from_epoch(epoch)


def parse_source_date_epoch(raw: str | None, *, where: str = SOURCE_DATE_EPOCH) -> int | None:
    """The value of ``SOURCE_DATE_EPOCH`` as seconds, or None when unset or empty.

    One rule for every command: ASCII digits only, at most 12 of them; anything
    else is an :class:`InputError` naming the variable.
    """
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_EPOCH_DIGITS:
        raise InputError(
            f"{SOURCE_DATE_EPOCH}={raw[:20]!r} is not a number of seconds",
            where=where,
            remedy="set it to a Unix time in seconds (at most 12 digits) or unset it",
        )
    return int(raw)


def is_rfc3339_utc(text: str) -> bool:
    """True for exactly ``YYYY-MM-DDTHH:MM:SSZ`` (the form we write)."""
    return bool(_RFC3339_UTC.fullmatch(text))


def parse_time(text: str, *, where: str = "time") -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an RFC 3339 time, as an aware UTC datetime; naive times are UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not a date or RFC 3339 time: {text[:40]!r}", where=where,
                         remedy="write e.g. 2027-11-22 or 2027-11-22T00:00:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

"""The time range and step of an analytics request (`from`, `to` or `range`, `step`), checked with clear errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dbooster.errors import InvalidInput

DURATION_RE = re.compile(r"^(\d{1,6})([smhd]?)$")
UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_STEP_S = 60
MAX_POINTS = 1000
MAX_SPAN = timedelta(days=400)
DEFAULT_SPAN = timedelta(hours=24)
# The automatic step: the first that gives at most AUTO_POINTS points.
AUTO_STEPS_S = (900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
AUTO_POINTS = 200


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    step_s: int

    @property
    def points(self) -> int:
        return max(1, -(-int((self.end - self.start).total_seconds()) // self.step_s))

    def index(self, at: datetime) -> int | None:
        """The point `at` falls in, None outside the range."""
        if at < self.start or at > self.end:
            return None
        return min(self.points - 1, int((at - self.start).total_seconds()) // self.step_s)

    def times(self) -> list[datetime]:
        return [self.start + timedelta(seconds=i * self.step_s) for i in range(self.points)]

    def as_dict(self) -> dict:
        return {"from": self.start, "to": self.end, "step_s": self.step_s}


def _invalid(param: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=f"invalid_{param}", extra={"param": param})


def parse_time(param: str, value: str) -> datetime:
    # A "+" of an offset arrives as a space when the query string was not escaped.
    text = value.strip().replace(" ", "+")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(
            param, f"{param} must be an ISO 8601 time such as 2026-01-31T12:00:00Z (got {value[:40]!r})."
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def parse_duration(param: str, value: str) -> int:
    """Seconds of `15m`, `1h`, `7d` or a plain number of seconds."""
    match = DURATION_RE.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise _invalid(param, f"{param} must be a positive duration such as 15m, 1h or 7d (got {value[:40]!r}).")
    return int(match.group(1)) * UNIT_S[match.group(2)]


def _auto_step(span_s: float) -> int:
    for step in AUTO_STEPS_S:
        if span_s / step <= AUTO_POINTS:
            return step
    return AUTO_STEPS_S[-1]


def parse_range(params: Mapping, *, now: datetime) -> TimeRange:
    """`from` and `to` (ISO 8601, default: the last 24 hours up to now) or `range` (a span ending at `to`), and
    `step` (default: chosen for about 200 points). InvalidInput (400) says which parameter is wrong and why."""
    if params.get("from") and params.get("range"):
        raise _invalid("range", "Give either from or range, not both.")
    end = parse_time("to", params["to"]) if params.get("to") else now
    if params.get("from"):
        start = parse_time("from", params["from"])
    else:
        span = parse_duration("range", params["range"]) if params.get("range") else DEFAULT_SPAN.total_seconds()
        start = end - timedelta(seconds=span)
    if start >= end:
        raise _invalid("from", f"from ({start.isoformat()}) must be before to ({end.isoformat()}).")
    if end - start > MAX_SPAN:
        raise _invalid("range", f"The time range is {(end - start).days} days long; at most {MAX_SPAN.days}.")
    span_s = (end - start).total_seconds()
    step = parse_duration("step", params["step"]) if params.get("step") else _auto_step(span_s)
    if step < MIN_STEP_S:
        raise _invalid("step", f"step must be at least {MIN_STEP_S} seconds (1m); got {step} s.")
    if span_s / step > MAX_POINTS:
        raise _invalid(
            "step",
            f"step {step} s over {span_s / 3600:g} hours makes {int(span_s // step)} points; at most {MAX_POINTS}: "
            "take a longer step or a shorter range.",
        )
    return TimeRange(start=start, end=end, step_s=step)

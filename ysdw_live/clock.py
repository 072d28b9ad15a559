"""One clock and one zone: the time is kept in UTC; dates people type and read are in ``YSDW_TIMEZONE``.

Services take a :class:`Clock` as an argument (the adapters pass the application's), so "today"
and "overdue" mean the same on the pages and in the API, and tests freeze time with time-machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/London"


def now() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def zone_named(name: object) -> ZoneInfo:
    """Return the IANA time zone called ``name``, or raise ValueError saying what is wrong."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"YSDW_TIMEZONE must name a time zone like {DEFAULT_TIMEZONE}, not {name!r}.")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"YSDW_TIMEZONE={name!r} is not a time zone this machine knows; use an IANA name like "
            f"{DEFAULT_TIMEZONE} or America/New_York (the tzdata package provides them)."
        ) from None


@dataclass(frozen=True)
class Clock:
    """The current time, and the zone where meetings happen (what "today" and typed times mean)."""

    zone: tzinfo

    @classmethod
    def named(cls, name: object) -> Clock:
        """Return a clock for the zone called ``name`` (raises ValueError for an unknown zone)."""
        return cls(zone_named(name))

    def now(self) -> datetime:
        """Return the current time in UTC, timezone-aware."""
        return now()

    def today(self) -> date:
        """Return today's date in the zone (what "overdue" is measured against)."""
        return self.now().astimezone(self.zone).date()

    def local(self, moment: datetime) -> datetime:
        """Return an aware ``moment`` as the zone's wall-clock time."""
        return moment.astimezone(self.zone)

    def from_local(self, wall_time: datetime) -> datetime:
        """Return a naive wall-clock time in the zone as aware UTC (aware values are only converted)."""
        if wall_time.tzinfo is None:
            wall_time = wall_time.replace(tzinfo=self.zone)
        return wall_time.astimezone(UTC)

"""The daily retention purge while the server runs: a background task started by ``app.py``.

The loop wakes every ``check_every`` seconds and purges when a day has passed since the last purge
(the first one runs at start-up). Tests drive :meth:`DailyPurge.tick` by hand with a clock they
move; nothing here sleeps unless the loop runs. Each process of a cluster runs its own: a purge is
idempotent, so two finding the same meeting is harmless. ``YSDW_DAILY_PURGE=0`` turns it off (for
instance when cron runs ``flask --app app purge`` instead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from ysdw_live.audit.services import SYSTEM
from ysdw_live.clock import Clock
from ysdw_live.db import session_scope
from ysdw_live.privacy.services import PurgeReport, describe, purge
from ysdw_live.realtime import socketio

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)
CHECK_EVERY = 15 * 60.0  # seconds between looks at the clock


class DailyPurge:
    """Purges attendee data past its retention period once a day."""

    def __init__(
        self,
        app: Flask,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], Any] | None = None,
        every: timedelta = EVERY,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self.app = app
        self.clock: Clock = clock or app.extensions["ysdw_clock"]
        self._sleep = sleep or socketio.sleep
        self.every = every
        self.check_every = check_every
        self.last_run: datetime | None = None
        self.stopped = False

    def due(self) -> bool:
        """Whether a day has passed since the last purge (or none ran yet)."""
        return self.last_run is None or self.clock.now() - self.last_run >= self.every

    def tick(self) -> PurgeReport | None:
        """Purge if due; return the report, or None when not due. A failure is raised, and retried next tick."""
        if not self.due():
            return None
        started = self.clock.now()
        with self.app.app_context(), session_scope(self.app) as db:
            report = purge(db, clock=self.clock, who=SYSTEM)
        self.last_run = started
        if report.changed:
            log.info("retention purge: %s in %d meetings", describe(report.totals), len(report.changed))
        return report

    def run(self) -> None:
        """Tick, then sleep, until stopped (the background task's body)."""
        while not self.stopped:
            try:
                self.tick()
            except Exception:
                log.exception("the daily retention purge failed; it is tried again at the next check")
            self._sleep(self.check_every)

    def stop(self) -> None:
        """Stop the loop after its current sleep."""
        self.stopped = True


def start_daily_purge(app: Flask) -> DailyPurge | None:
    """Start the daily purge in the background unless ``DAILY_PURGE`` is off; return it."""
    if not app.config.get("DAILY_PURGE", True):
        return None
    job = DailyPurge(app)
    app.extensions["ysdw_daily_purge"] = job
    socketio.start_background_task(job.run)
    return job

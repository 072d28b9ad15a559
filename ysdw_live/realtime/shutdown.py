"""Graceful shutdown of one server process: send the pending vote counts, then let every client go.

``app.py`` calls ``drain`` on SIGTERM once the server has stopped taking connections. The
connections close at the Engine.IO level (a ``close`` packet, then the transport ends), never with
a Socket.IO ``disconnect``: the browser's client takes the first for a dropped line and reconnects
(through the load balancer, to another process, catching up from the snapshot), while after the
second it would stay offline.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from ysdw_live.realtime import socketio
from ysdw_live.realtime.batching import flush_poll_results, flush_votes, stop_vote_batcher

log = logging.getLogger(__name__)


def drain(app: Flask, *, timeout: float = 5.0) -> int:
    """Flush pending vote batches, close every connection of this process; return how many were open.

    Waits up to ``timeout`` seconds for the clients to be told (a long-polling client learns it on
    its next poll, which is normally waiting already).
    """
    stop_vote_batcher(app)
    if app.config.get("REDIS_URL"):
        # With Redis, a meeting flushed by this process less than an interval ago still holds its
        # cluster-wide flush slot, and the final flush would leave its marks for nobody: let it lapse.
        socketio.sleep(float(app.config.get("VOTE_FLUSH_INTERVAL", 0.3)))
    try:
        flush_votes(app)
        flush_poll_results(app)
    except Exception:
        # The counts are committed: clients reconnecting elsewhere read them from the snapshot.
        log.exception("the final flush of vote counts failed")
    server = socketio.server.eio if socketio.server is not None else None
    if server is None:
        return 0
    closing = list(server.sockets.values())
    for connection in closing:
        connection.close(wait=False, reason=server.reason.SERVER_DISCONNECT)
    # A closed connection leaves ``sockets`` once its close packet has gone out.
    deadline = time.monotonic() + timeout
    while any(connection.sid in server.sockets for connection in closing) and time.monotonic() < deadline:
        socketio.sleep(0.05)
    return len(closing)

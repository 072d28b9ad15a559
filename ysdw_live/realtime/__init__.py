"""Real time: the Socket.IO server, rooms, the one publisher and batched count updates."""

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

socketio = SocketIO()
# Re-entrant: making one extension may ask for another (the presence announcer needs the tracker).
_extension_lock = threading.RLock()


def app_extension(app: Flask, name: str, make: Callable[[], Any]) -> Any:
    """Return ``app.extensions[name]``, made with ``make()`` on first use, once whatever the threads."""
    found = app.extensions.get(name)
    if found is None:
        with _extension_lock:
            found = app.extensions.get(name)
            if found is None:
                found = app.extensions[name] = make()
    return found


def yield_to_other_connections() -> None:
    """Let every other greenlet run once before each HTTP request (eventlet and gevent).

    A greenlet runs until it blocks. A keep-alive connection whose next request is already in its
    socket buffer never blocks, so in a burst of requests (a thousand phones voting at once) one
    greenlet served request after request while the sockets' writers waited: a phone then received
    a second's worth of vote counts in one bunch. One switch per request (microseconds) keeps the
    event loop fair. Under threading the operating system schedules threads, and nothing is done.
    Socket.IO events do not pass here (Flask's before_request hooks run for HTTP requests only):
    switching inside a connect or disconnect handler would reorder Engine.IO's own bookkeeping.
    """
    if socketio.async_mode in ("eventlet", "gevent"):
        socketio.sleep(0)

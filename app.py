"""Entry point: ``python app.py`` applies migrations and serves YSWD Live."""

from __future__ import annotations

import gc
import os
import signal
import sys
from typing import Any

# The default is config.DEFAULT_ASYNC_MODE, repeated: the standard library is patched before any import of the app.
ASYNC_MODE = os.environ.get("YSDW_ASYNC_MODE", "gevent")

if __name__ == "__main__" and ASYNC_MODE == "eventlet":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    # psycopg 3 waits for PostgreSQL in C, which would stall every greenlet; its select()-based
    # wait goes through eventlet's green select instead (checked in refuse_blocking_database).
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()
elif __name__ == "__main__" and ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

from ysdw_live import create_app  # noqa: E402
from ysdw_live.realtime import socketio  # noqa: E402

app = create_app()
_shutdown: list[Any] = []  # the task draining after SIGTERM, once it started
_wakeup: list[Any] = []  # eventlet: the socket pair that wakes the hub when a signal arrives


def refuse_blocking_database() -> None:
    """Stop at start-up if a PostgreSQL query would block every connection under eventlet."""
    if ASYNC_MODE != "eventlet" or not app.config["DATABASE_URL"].startswith("postgresql"):
        return
    from psycopg import waiting

    if waiting.wait is waiting.wait_c:
        sys.exit(
            "YSDW_ASYNC_MODE=eventlet with PostgreSQL needs psycopg's cooperative wait, but "
            f"PSYCOPG_WAIT_FUNC={os.environ.get('PSYCOPG_WAIT_FUNC')} selects the blocking one: "
            "unset PSYCOPG_WAIT_FUNC, or run YSDW_ASYNC_MODE=gevent."
        )


def server_options() -> dict[str, object]:
    """Web server options for the async mode: eventlet and gevent serve at most MAX_CONNECTIONS at once."""
    if ASYNC_MODE == "eventlet":
        # eventlet.wsgi caps simultaneous connections at 1,024 by default, and each open
        # websocket holds one slot for as long as the phone is connected.
        return {"max_size": app.config["MAX_CONNECTIONS"]}
    if ASYNC_MODE == "gevent":
        from gevent.pool import Pool

        return {"spawn": Pool(app.config["MAX_CONNECTIONS"])}
    return {"allow_unsafe_werkzeug": True}  # Werkzeug's development server: one thread per connection


def main(argv: list[str]) -> None:
    """Apply pending migrations, create the first admin if there is none, then serve."""
    from ysdw_live import migrations
    from ysdw_live.auth.services import ensure_first_admin
    from ysdw_live.db import session_scope

    refuse_blocking_database()
    migrations.upgrade(app)
    with session_scope(app) as db:
        first_admin = ensure_first_admin(db)
        demo_code = None
        if "--demo" in argv:
            from ysdw_live.demo import load_demo

            demo_code = load_demo(db)
    base = app.config["PUBLIC_URL"]
    print(f"\nYSWD Live is running at {base}/  (staff: {base}/login)", flush=True)
    if first_admin:
        email, password = first_admin
        print("\nFirst run: an admin account was created.", flush=True)
        print(f"  E-mail:            {email}", flush=True)
        print(f"  One-time password: {password}", flush=True)
        print("  You will be asked to choose a new password when you first log in.\n", flush=True)
    if demo_code:
        print(f"Demo meeting is live: {base}/j/{demo_code}  (projector: {base}/present/{demo_code})\n", flush=True)
    from ysdw_live.privacy.jobs import start_daily_purge

    start_daily_purge(app)  # deletes attendee data past its retention period, once a day
    if ASYNC_MODE == "gevent":
        import gevent

        gevent.signal_handler(signal.SIGTERM, _on_sigterm)
    else:
        signal.signal(signal.SIGTERM, _on_sigterm)
        if ASYNC_MODE == "eventlet":
            _wake_hub_on_signals()
    # Everything loaded so far (Flask, SQLAlchemy, the app) lives as long as the process: keep it out
    # of the garbage collector's full passes, which would otherwise walk it during every busy moment.
    gc.freeze()
    socketio.run(app, host=app.config["HOST"], port=app.config["PORT"], **server_options())
    for task in _shutdown:
        task.join()


def _on_sigterm(*_args: Any) -> None:
    """On SIGTERM, shut down in a background task: a signal handler must not block."""
    if not _shutdown:
        _shutdown.append(socketio.start_background_task(_shut_down))
        if ASYNC_MODE == "threading":
            # Werkzeug's serve_forever stops on KeyboardInterrupt in the main thread (this one) and
            # closes the listening socket; its request threads keep serving while the drain runs.
            raise KeyboardInterrupt


def _shut_down() -> None:
    """Stop taking connections, send pending counts and close every client (see realtime/shutdown.py).

    socketio.run then returns and the process exits with 0.
    """
    from ysdw_live.realtime.shutdown import drain

    if ASYNC_MODE == "gevent":
        if socketio.wsgi_server is not None:
            socketio.wsgi_server.close()  # closes the listening socket: new connections are refused at once
    elif ASYNC_MODE == "eventlet":
        import eventlet.hubs

        # eventlet.wsgi.server leaves its accept loop on SystemExit in the main greenlet and then cuts
        # every WebSocket it counts as idle, so drain first (it keeps accepting meanwhile; whoever
        # connects then is cut at the end and reconnects elsewhere), then stop.
        drain(app)
        eventlet.hubs.get_hub().schedule_call_global(0, _MAIN_GREENLET.throw, SystemExit)
        return
    drain(app)


def _wake_hub_on_signals() -> None:
    """Under eventlet, let a signal wake the hub at once.

    Python runs a signal handler between bytecodes; eventlet's hub may be asleep in epoll for up to
    a minute, and the handler's task would wait that long. A wakeup fd the hub watches ends the sleep.
    """
    from eventlet.green import socket as green_socket

    reader, writer = green_socket.socketpair()
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    _wakeup.extend((reader, writer))  # kept open for the life of the process

    def discard_wakeups() -> None:
        while reader.recv(64):
            pass

    socketio.start_background_task(discard_wakeups)


if __name__ == "__main__":
    if ASYNC_MODE == "eventlet":
        import greenlet

        _MAIN_GREENLET = greenlet.getcurrent()
    main(sys.argv[1:])

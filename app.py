"""Entry point: ``python app.py`` applies migrations and serves YSWD Live."""

from __future__ import annotations

import os
import sys

ASYNC_MODE = os.environ.get("YSDW_ASYNC_MODE", "eventlet")

if __name__ == "__main__" and ASYNC_MODE == "eventlet":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
elif __name__ == "__main__" and ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

from ysdw_live import create_app  # noqa: E402
from ysdw_live.realtime import socketio  # noqa: E402

app = create_app()


def main(argv: list[str]) -> None:
    """Apply pending migrations, create the first admin if there is none, then serve."""
    from ysdw_live import migrations
    from ysdw_live.auth.services import ensure_first_admin
    from ysdw_live.db import session_scope

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
    socketio.run(app, host=app.config["HOST"], port=app.config["PORT"], allow_unsafe_werkzeug=ASYNC_MODE == "threading")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run `python app.py` with a profiler over the vote burst, to see where a vote's time goes.

load.py starts this instead of app.py when BENCH_PROFILE names an output file. The profile starts at
the first vote (PUT …/vote) and stops after BENCH_PROFILE_VOTES of them, then writes the functions
by their own time. Under eventlet and gevent every greenlet runs on one OS thread, so the profile is
the whole process during the burst, not one request: time spent blocked in C (a busy handler's
sleep, a driver's wait) is the own time of the call that blocked. It is cProfile, not pyinstrument:
pyinstrument's sampler calls threading.current_thread(), which breaks eventlet's green threading.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(os.environ["BENCH_PROFILE"])
VOTES = int(os.environ.get("BENCH_PROFILE_VOTES", "300"))


def install(app_module: dict[str, object]) -> None:
    """Profile from the first vote to the VOTES-th one, then write the report."""
    import cProfile
    import io
    import pstats

    from flask import Flask, request

    app = app_module["app"]
    assert isinstance(app, Flask)
    profiler = cProfile.Profile()
    seen = {"votes": 0}

    @app.before_request
    def _start() -> None:
        if request.method == "PUT" and request.path.endswith("/vote") and seen["votes"] == 0:
            profiler.enable()

    @app.teardown_request
    def _count(_exc: BaseException | None) -> None:
        if request.method == "PUT" and request.path.endswith("/vote"):
            seen["votes"] += 1
            if seen["votes"] == VOTES:
                profiler.disable()
                report = io.StringIO()
                stats = pstats.Stats(profiler, stream=report)
                stats.sort_stats("tottime").print_stats(40)
                stats.sort_stats("cumulative").print_stats(60)
                OUTPUT.write_text(report.getvalue())


if __name__ == "__main__":
    # What app.py does first when it is __main__ (it is not here, so that it does not serve yet).
    MODE = os.environ.get("YSDW_ASYNC_MODE", "gevent")
    if MODE == "eventlet":
        import warnings

        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
        import eventlet

        eventlet.monkey_patch()
    elif MODE == "gevent":
        from gevent import monkey

        monkey.patch_all()
    sys.path.insert(0, str(ROOT))
    namespace = runpy.run_path(str(ROOT / "app.py"), run_name="__bench__")
    install(namespace)
    namespace["main"]([])

"""The floor: a bare python-socketio server doing the project's fan-out, nothing else.

`load.py --floor` runs the same room scenario against this and against `app.py`, in the same async
mode, and reports the project's figures as ratios to it: what is left after the ratio is the cost
of the app (Flask, the database, the services), not of the machine or of Socket.IO itself.

It speaks the few URLs and events the scenario uses, with the project's shapes and sizes (the same
keys in a concern, a snapshot and a vote answer, so both send and parse the same bytes):
  POST /api/v1/meetings/<code>/participants     -> 201 {"token"}
  socket connect, auth {meeting, role, token}   -> joins the meeting's room, emits meeting:snapshot
  POST /api/v1/meetings/<code>/concerns         -> 201 {"id", ...}; concern:created to the room
  PUT  /api/v1/concerns/<id>/vote               -> 200 {"votes"}; counts marked dirty
  a background task emits the dirty counts as votes:updated every 0.3 s at most, as the project does.
Usage (load.py starts it): python bench/floor_server.py MODE PORT
"""

from __future__ import annotations

import sys

MODE, PORT = sys.argv[1], int(sys.argv[2])
if MODE == "eventlet":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
elif MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

import itertools  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import socketio  # noqa: E402

FLUSH_INTERVAL = 0.3  # the project's default (YSDW_VOTE_FLUSH_INTERVAL)
sio = socketio.Server(async_mode=MODE, cors_allowed_origins=[])
lock = threading.Lock()
ids = itertools.count(1)
concerns: dict[int, dict[str, Any]] = {}
votes: dict[int, int] = {}
voters: set[tuple[str, int]] = set()
dirty: set[int] = set()
tokens: set[str] = set()
# The project's meeting and projector shapes (meeting_to_dict, projector_to_dict), with fixed values.
MEETING = {
    "code": "FLOOR",
    "title": "Bench room",
    "series_id": 1,
    "starts_at": None,
    "venue": None,
    "mode": "in_person",
    "status": "live",
    "moderation": False,
    "join_url": "http://127.0.0.1/j/FLOOR",
}
PROJECTOR = {"mode": "join", "concern_id": None, "poll_id": None, "action_index": None}
seqs = itertools.count(1)


@sio.on("connect")
def connect(sid: str, _environ: dict[str, Any], auth: dict[str, Any] | None = None) -> bool:
    """Join the meeting's room and send a snapshot, as the project's connect handler does."""
    if not auth or auth.get("token") not in tokens:
        return False
    sio.enter_room(sid, f"meeting:{auth['meeting']}")
    with lock:
        version = len(concerns)
        listed = [{**c, "votes": votes[c["id"]]} for c in concerns.values()]
        snapshot = {
            "meeting": {**MEETING, "version": version},
            "concerns": listed,
            "polls": [],
            "projector": {**PROJECTOR, "version": version},
            "version": version,
            "vote_seq": 0,
        }
    sio.emit("meeting:snapshot", snapshot, to=sid)
    return True


def reply(start_response: Any, status: str, body: dict[str, Any]) -> list[bytes]:
    """Send a JSON response."""
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def http(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The three HTTP calls the scenario makes, with a counter instead of a database."""
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/healthz":
        return reply(start_response, "200 OK", {"status": "ok"})
    if method == "POST" and (m := re.fullmatch(r"/api/v1/meetings/(\w+)/participants", path)):
        token = secrets.token_urlsafe(16)
        with lock:
            tokens.add(token)
        return reply(start_response, "201 Created", {"token": token})
    token = environ.get("HTTP_X_PARTICIPANT_TOKEN")
    if token not in tokens:
        return reply(start_response, "401 Unauthorized", {"error": "token"})
    if method == "POST" and (m := re.fullmatch(r"/api/v1/meetings/(\w+)/concerns", path)):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        text = json.loads(environ["wsgi.input"].read(length))["text"]
        with lock:
            concern_id = next(ids)
            concern = {
                "id": concern_id,
                "number": concern_id,
                "text": text,
                "topic_id": None,
                "author_name": None,
                "votes": 0,
                "voted": False,
                "status": "approved",
                "highlighted": False,
                "source": "attendee",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            concerns[concern["id"]] = concern
            votes[concern["id"]] = 0
            version = len(concerns)
        sio.emit("concern:created", {"concern": concern, "version": version}, to=f"meeting:{m.group(1)}")
        return reply(start_response, "201 Created", concern)
    if method == "PUT" and (m := re.fullmatch(r"/api/v1/concerns/(\d+)/vote", path)):
        concern_id = int(m.group(1))
        with lock:
            if concern_id not in votes:
                return reply(start_response, "404 Not Found", {"error": "concern"})
            if (token, concern_id) not in voters:
                voters.add((token, concern_id))
                votes[concern_id] += 1
                dirty.add(concern_id)
            count = votes[concern_id]
        return reply(start_response, "200 OK", {"id": concern_id, "votes": count, "voted": True})
    return reply(start_response, "404 Not Found", {"error": "path"})


def flush_votes() -> None:
    """Emit the changed counts to the room a few times a second, never once per vote."""
    while True:
        sio.sleep(FLUSH_INTERVAL)
        with lock:
            changed = {str(i): votes[i] for i in dirty}
            dirty.clear()
            version = len(concerns)
        if changed:
            payload = {"counts": changed, "version": version, "seq": next(seqs)}
            sio.emit("votes:updated", payload, to="meeting:FLOOR")


app = socketio.WSGIApp(sio, http)


def main() -> None:
    """Serve on 127.0.0.1:PORT in MODE, with no connection cap below the room's size."""
    sio.start_background_task(flush_votes)
    if MODE == "eventlet":
        import eventlet.wsgi

        eventlet.wsgi.server(eventlet.listen(("127.0.0.1", PORT)), app, log_output=False, max_size=10_000)
    elif MODE == "gevent":
        from gevent import pywsgi
        from geventwebsocket.handler import WebSocketHandler

        pywsgi.WSGIServer(("127.0.0.1", PORT), app, handler_class=WebSocketHandler, log=None).serve_forever()
    else:
        import logging

        from werkzeug.serving import run_simple

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request, as in the project

        run_simple("127.0.0.1", PORT, app, threaded=True)


if __name__ == "__main__":
    main()

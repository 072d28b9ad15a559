"""One more phone, in a process of its own: when do votes reach a phone that has a CPU to itself.

The load generator's thousand phones share one event loop, which is busiest exactly while the votes
are cast: events that reached them evenly can be read off the socket in a bunch, and the count of
events in a phone's busiest second would measure the generator, not the server. This observer has
nothing else to do, so the times it notes are when the server delivered.

Usage (room.py starts it): python bench/observer.py BASE CODE TOKEN
It connects as an attendee, prints "ready", notes the arrival time of every ``votes:updated`` until
its standard input closes, then prints the times as one JSON list (seconds, ``time.monotonic``).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import socketio


def main() -> None:
    """Connect, note arrivals until stdin closes, print them."""
    base, code, token = sys.argv[1:4]
    arrivals: list[float] = []
    got_snapshot = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("meeting:snapshot", lambda _payload: got_snapshot.set())

    @client.on("votes:updated")
    def _votes(_payload: dict[str, Any]) -> None:
        arrivals.append(time.monotonic())

    client.connect(base, auth={"meeting": code, "role": "attendee", "token": token}, transports=["websocket"])
    got_snapshot.wait(60)
    print("ready", flush=True)
    sys.stdin.read()
    client.disconnect()
    print(json.dumps(arrivals), flush=True)


if __name__ == "__main__":
    main()

"""The Socket.IO handshake on the real server refuses pages from other sites (cross-site WebSocket hijacking)."""

from __future__ import annotations

import requests


def _handshake(url: str, origin: str | None) -> requests.Response:
    """Open an Engine.IO polling handshake, as a browser page would, with the given Origin."""
    headers = {"Origin": origin} if origin else {}
    return requests.get(f"{url}/socket.io/", params={"EIO": "4", "transport": "polling"}, headers=headers, timeout=10)


def test_handshake_from_a_foreign_origin_is_refused(live_server):
    """A page on another site cannot open a socket; the server's own pages (and non-browser clients) can."""
    assert _handshake(live_server.url, "https://evil.example").status_code == 400
    lookalike = live_server.url.replace("127.0.0.1", "localhost.evil.example")
    assert _handshake(live_server.url, lookalike).status_code == 400
    same = _handshake(live_server.url, live_server.url)
    assert same.status_code == 200 and '"sid"' in same.text
    assert _handshake(live_server.url, None).status_code == 200

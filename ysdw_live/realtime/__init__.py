"""Real time: the Socket.IO server, rooms, the one publisher and batched count updates."""

from flask_socketio import SocketIO

socketio = SocketIO()


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

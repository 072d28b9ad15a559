"""Real time: the Socket.IO server, rooms, the one publisher and batched count updates."""

from flask_socketio import SocketIO

socketio = SocketIO()

"""Socket.IO client managers whose staff rooms, when closed, disconnect their members in every process.

Ending a staff member's sessions (logout, password change, deactivation) must also end their open
consoles, wherever they are connected. python-socketio can close a room in every process (through the
message queue when there is one) but only removes its members from it; these managers also
disconnect them: ``socketio.close_room(staff_room(user_id))`` reaches each process, and each
disconnects the members it holds. Other rooms close as before.
"""

from __future__ import annotations

from typing import Any

import socketio

from ysdw_live.realtime.rooms import STAFF_ROOM_PREFIX


def _disconnect_members(manager: Any, room: object, namespace: str | None) -> None:
    """Disconnect this process's connections in ``room`` when it is a staff room."""
    if not isinstance(room, str) or not room.startswith(STAFF_ROOM_PREFIX):
        return
    namespace = namespace or "/"
    for sid, _eio_sid in list(manager.get_participants(namespace, room)):
        manager.server.disconnect(sid, namespace=namespace, ignore_queue=True)


class StaffRoomsManager(socketio.Manager):
    """One process: closing a staff room disconnects its members."""

    def close_room(self, room: str, namespace: str | None = None) -> None:
        """Disconnect a staff room's members, then close the room."""
        _disconnect_members(self, room, namespace)
        super().close_room(room, namespace)


class StaffRoomsRedisManager(socketio.RedisManager):
    """Several processes on Redis: each closes the room (and disconnects a staff room's members) it holds."""

    def _handle_close_room(self, message: dict[str, Any]) -> None:
        """Called for this process's own close and for every other process's, from the queue."""
        _disconnect_members(self, message.get("room"), message.get("namespace"))
        super()._handle_close_room(message)


def client_manager(redis_url: str | None) -> socketio.Manager:
    """Return the client manager for ``socketio.init_app``: on Redis (Flask-SocketIO's channel) when a URL is given."""
    if redis_url:
        return StaffRoomsRedisManager(redis_url, channel="flask-socketio", write_only=False)
    return StaffRoomsManager()

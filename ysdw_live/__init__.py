"""YSWD Live: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from ysdw_live import config as config_module
from ysdw_live import db
from ysdw_live.ratelimit import Limiter, MemoryStore, RedisStore
from ysdw_live.realtime import socketio

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the app; ``config`` overrides the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    instance_path = Path(app.instance_path)
    if config and config.get("INSTANCE_PATH"):
        instance_path = Path(config["INSTANCE_PATH"])
        app.instance_path = str(instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.update(config_module.from_environment(instance_path))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.load_secret_key(instance_path)
    if not app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = f"http://{config_module.lan_address()}:{app.config['PORT']}"
    app.json.sort_keys = False  # type: ignore[attr-defined]
    from ysdw_live.web import DatabaseIdConverter

    # Before any blueprint adds its rules: every <int:…> id then fits the database's INTEGER.
    app.url_map.converters["int"] = DatabaseIdConverter

    db.init_app(app)
    redis_url = app.config.get("REDIS_URL")
    store = RedisStore(redis_url) if redis_url else MemoryStore()
    app.extensions["ysdw_limiter"] = Limiter(store, enabled=app.config["RATELIMIT_ENABLED"])

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=redis_url,
        # Left at its default, Engine.IO accepts only handshakes whose Origin is this very
        # host, which refuses cross-site WebSocket hijacking.
        logger=False,
        engineio_logger=False,
    )

    from ysdw_live import api, cli, pages
    from ysdw_live.actions import api as actions_api
    from ysdw_live.auth import api as auth_api
    from ysdw_live.concerns import api as concerns_api
    from ysdw_live.meetings import api as meetings_api
    from ysdw_live.realtime import handlers
    from ysdw_live.series import api as series_api

    # Importing each domain's api module puts its routes on the API blueprint; then it is registered.
    del auth_api, series_api, meetings_api, concerns_api, actions_api
    api.init_app(app)
    pages.init_app(app)
    cli.init_app(app)
    handlers.register(socketio)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app

"""YSWD Live: the application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from ysdw_live import config as config_module
from ysdw_live import db, validation
from ysdw_live.clock import Clock
from ysdw_live.polls.profanity import load_blocked_words
from ysdw_live.privacy.notice import ensure_notice
from ysdw_live.ratelimit import Limiter, MemoryStore, RedisStore
from ysdw_live.realtime import socketio, yield_to_other_connections
from ysdw_live.realtime.managers import client_manager

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
    config_module.make_private_folder(instance_path)
    ensure_notice(instance_path)  # first run: the privacy notice to fill in, from the shipped default
    app.config.update(config_module.from_environment(instance_path))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.load_secret_key(instance_path)
    if not app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = f"http://{config_module.lan_address()}:{app.config['PORT']}"
    if str(app.config["PUBLIC_URL"]).startswith("https://"):
        # People reach the app over HTTPS (TLS may end at a proxy): cookies must never travel in clear.
        app.config["SESSION_COOKIE_SECURE"] = True
    from ysdw_live.web import DatabaseIdConverter, JSONProvider

    app.json = JSONProvider(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # The login cookie lasts no longer than a staff login may (Flask's default is 31 days).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["STAFF_SESSION_HOURS"])

    # Before any blueprint adds its rules: every <int:…> id then fits the database's INTEGER.
    app.url_map.converters["int"] = DatabaseIdConverter

    db.init_app(app)
    redis_url = app.config.get("REDIS_URL")
    store = RedisStore(redis_url) if redis_url else MemoryStore()
    app.extensions["ysdw_limiter"] = Limiter(store, enabled=app.config["RATELIMIT_ENABLED"], overrides=_limits(app))
    app.extensions["ysdw_clock"] = Clock.named(app.config["TIMEZONE"])
    app.config["POLL_BLOCKED_WORDS"] = load_blocked_words(instance_path, app.config.get("BLOCKED_WORDS") or "")

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=redis_url,
        # Closing a staff member's room disconnects their sockets, in every process (realtime/managers.py).
        client_manager=client_manager(redis_url),
        # Left at its default, Engine.IO accepts only handshakes whose Origin is this very
        # host, which refuses cross-site WebSocket hijacking.
        logger=False,
        engineio_logger=False,
        # Packets are read with the same depth limit as request bodies.
        json=validation.DepthLimitedJSON,
    )

    _trust_proxies(app)
    _register(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app


def _limits(app: Flask) -> dict[str, tuple[int, float]]:
    """Return the rate limits configured in place of the built-in ones, by scope (joins per minute)."""
    configured = {
        "join-address": app.config.get("JOIN_LIMIT_PER_ADDRESS"),
        "join-meeting": app.config.get("JOIN_LIMIT_PER_MEETING"),
        "join-kiosk": app.config.get("JOIN_LIMIT_PER_KIOSK"),
    }
    return {scope: (int(per_minute), 60) for scope, per_minute in configured.items() if per_minute}


def _trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto from ``TRUSTED_PROXIES`` proxies, so limits key on the real client.

    ProxyFix wraps the Socket.IO middleware too (it comes after ``socketio.init_app``), so Engine.IO
    sees the client's scheme; the Host header is passed through by the proxy, not rewritten here.
    With 0 (the default) nothing is believed: a client could otherwise pick its own address.
    """
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def _register(app: Flask) -> None:
    """Wire every blueprint, API module, page hook, socket handler and CLI command into ``app``."""
    from werkzeug.exceptions import HTTPException

    # Importing an API module adds its routes to the API blueprint, so it happens before registering that.
    import ysdw_live.actions.api
    import ysdw_live.auth.api
    import ysdw_live.concerns.api
    import ysdw_live.exports.api
    import ysdw_live.impact.api
    import ysdw_live.meetings.api
    import ysdw_live.polls.api
    import ysdw_live.series.api
    import ysdw_live.surveys.api  # noqa: F401
    from ysdw_live import api, cli, i18n, pages, web
    from ysdw_live.accessibility.views import bp as accessibility_bp
    from ysdw_live.actions.views import bp as actions_bp
    from ysdw_live.audit.views import bp as audit_bp
    from ysdw_live.auth.views import bp as auth_bp
    from ysdw_live.errors import DomainError
    from ysdw_live.exports.views import bp as exports_bp
    from ysdw_live.impact.views import bp as impact_bp
    from ysdw_live.kiosk.views import bp as kiosk_bp
    from ysdw_live.live.views import bp as live_bp
    from ysdw_live.meetings.views import bp as meetings_bp
    from ysdw_live.privacy.views import bp as privacy_bp
    from ysdw_live.realtime import handlers
    from ysdw_live.series.views import bp as series_bp
    from ysdw_live.surveys.views import bp as surveys_bp

    api.init_app(app)
    i18n.init_app(app)
    for blueprint in (
        auth_bp,
        meetings_bp,
        series_bp,
        live_bp,
        actions_bp,
        audit_bp,
        privacy_bp,
        surveys_bp,
        exports_bp,
        impact_bp,
        kiosk_bp,
        accessibility_bp,
    ):
        app.register_blueprint(blueprint)

    app.before_request(yield_to_other_connections)
    # Before any view looks a meeting up by its code: an address over its budget of wrong codes waits.
    app.url_value_preprocessor(web.guard_code_lookup)
    app.before_request(pages.choose_language)
    app.before_request(pages.check_page_csrf)
    # After the CSRF check: a forged post is refused, not redirected.
    app.before_request(pages.kiosk_lock)
    app.teardown_request(pages.forget_caller)
    app.context_processor(pages.template_globals)
    app.add_template_filter(pages.bdi, "bdi")
    app.add_template_filter(pages.isolate, "isolate")
    app.after_request(pages.security_headers)
    app.after_request(pages.remember_language)
    app.register_error_handler(DomainError, pages.domain_error_page)
    app.register_error_handler(HTTPException, pages.http_error_page)
    app.add_url_rule("/favicon.ico", view_func=pages.favicon)
    app.add_url_rule("/healthz", view_func=pages.healthz)

    cli.init_app(app)
    handlers.register(socketio)

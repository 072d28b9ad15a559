"""Configuration: defaults first, then environment variables prefixed ``YSDW_``."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any

from ysdw_live.clock import DEFAULT_TIMEZONE, zone_named

ASYNC_MODES = ("eventlet", "gevent", "threading")
# The load benchmark's choice (README, "Load figures and which async mode to run"); app.py repeats it,
# because it must patch the standard library before importing anything of the app.
DEFAULT_ASYNC_MODE = "gevent"
# Every interface, on purpose: the phones on the venue's Wi-Fi must reach this laptop (YSDW_HOST narrows it).
DEFAULT_HOST = "0.0.0.0"  # nosec B104


def lan_address() -> str:
    """Return this machine's LAN address, so a phone on the same Wi-Fi can follow a QR code."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # A UDP "connect" sends nothing; it only asks the kernel which interface it would use.
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    return address


def make_private_folder(path: Path) -> None:
    """Create ``path`` readable by this user only (0700); a folder that exists keeps the mode its owner gave it."""
    if path.is_dir():
        return
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def load_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in ``instance/``, generating it on first use (created 0600: for us only)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    make_private_folder(instance_path)
    key = secrets.token_hex(32)
    try:
        # Created with its final mode: never, even for a moment, a world-readable file holding the key.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()  # another process made it first
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def _positive_int(env: Any, name: str, default: int) -> int:
    """Return the positive whole number in ``env[name]`` (or ``default``); refuse anything else by name."""
    raw = env.get(name) or str(default)
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _optional_positive_int(env: Any, name: str) -> int | None:
    """Return the positive whole number in ``env[name]``, or None when it is not set; refuse anything else."""
    raw = env.get(name) or ""
    return _positive_int(env, name, 1) if raw.strip() else None


def _email_or_none(env: Any, name: str) -> str | None:
    """Return the e-mail address in ``env[name]`` (None when unset); refuse something that is not one."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    local, at, domain = raw.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() or c in "<>\"'" for c in raw):
        raise ValueError(f"{name} must be an e-mail address, like access@example.org, not {raw!r}")
    return raw


def _vote_surge(env: Any) -> tuple[int, int]:
    """Return (taps, seconds) from ``YSDW_VOTE_SURGE`` ("50/5": 50 taps on one concern within 5 seconds)."""
    raw = env.get("YSDW_VOTE_SURGE") or "50/5"
    taps, _, seconds = raw.partition("/")
    if not (taps.strip().isdigit() and seconds.strip().isdigit()) or int(taps) < 1 or not 1 <= int(seconds) <= 60:
        raise ValueError(f"YSDW_VOTE_SURGE must be votes/seconds, like 50/5 (at most 60 seconds), not {raw!r}")
    return int(taps), int(seconds)


def from_environment(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the settings mapping from defaults overridden by ``YSDW_*`` variables."""
    env = os.environ if environ is None else environ
    port = int(env.get("YSDW_PORT", "5000"))
    async_mode = env.get("YSDW_ASYNC_MODE", DEFAULT_ASYNC_MODE)
    if async_mode not in ASYNC_MODES:
        raise ValueError(f"YSDW_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}, not {async_mode!r}")
    timezone = env.get("YSDW_TIMEZONE") or DEFAULT_TIMEZONE
    flush_interval = env.get("YSDW_VOTE_FLUSH_INTERVAL", "0.3")
    try:
        flush_seconds = float(flush_interval)
    except ValueError:
        flush_seconds = 0.0
    if not 0 < flush_seconds <= 86400:
        raise ValueError(f"YSDW_VOTE_FLUSH_INTERVAL must be a number of seconds above 0, not {flush_interval!r}")
    trusted_proxies = env.get("YSDW_TRUSTED_PROXIES", "0")
    if not trusted_proxies.isdigit():
        raise ValueError(f"YSDW_TRUSTED_PROXIES must be a whole number of proxies (0 or more), not {trusted_proxies!r}")
    zone_named(timezone)  # refuse an unknown zone at start-up, not at the first date someone types
    settings: dict[str, Any] = {
        "HOST": env.get("YSDW_HOST", DEFAULT_HOST),
        "PORT": port,
        "DATABASE_URL": env.get("YSDW_DATABASE_URL") or f"sqlite:///{instance_path / 'yswd_live.sqlite3'}",
        "REDIS_URL": env.get("YSDW_REDIS_URL") or None,
        "SECRET_KEY": env.get("YSDW_SECRET_KEY") or None,
        "PUBLIC_URL": (env.get("YSDW_PUBLIC_URL") or "").rstrip("/") or None,
        "ASYNC_MODE": async_mode,
        "TIMEZONE": timezone,
        # How many reverse proxies (nginx…) in front of us may say who the client is in X-Forwarded-For/-Proto.
        "TRUSTED_PROXIES": int(trusted_proxies),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("YSDW_COOKIE_SECURE", "") == "1",
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # Per-address limits must let a whole room behind one venue Wi-Fi address in.
        "RATELIMIT_ENABLED": env.get("YSDW_RATELIMIT", "1") != "0",
        # New participants in any minute, per address and per meeting (None: the built-in budgets).
        "JOIN_LIMIT_PER_ADDRESS": _optional_positive_int(env, "YSDW_JOIN_LIMIT_PER_ADDRESS"),
        "JOIN_LIMIT_PER_MEETING": _optional_positive_int(env, "YSDW_JOIN_LIMIT_PER_MEETING"),
        # People one kiosk (a staff-started shared tablet) may take in any minute, each a new participant.
        "JOIN_LIMIT_PER_KIOSK": _optional_positive_int(env, "YSDW_JOIN_LIMIT_PER_KIOSK"),
        # Seconds a kiosk waits with something half-typed before it counts down and clears itself,
        # and seconds its "thank you" screen stays before the next person's empty form.
        "KIOSK_IDLE_SECONDS": _positive_int(env, "YSDW_KIOSK_IDLE_SECONDS", 90),
        "KIOSK_THANKS_SECONDS": _positive_int(env, "YSDW_KIOSK_THANKS_SECONDS", 10),
        # Where people report an accessibility problem (an e-mail address), shown on /accessibility.
        "ACCESSIBILITY_CONTACT": _email_or_none(env, "YSDW_ACCESSIBILITY_CONTACT"),
        # Moderators are told when one concern gets this many votes within this many seconds.
        "VOTE_SURGE": _vote_surge(env),
        # How often pending vote counts go out (seconds); every process of a cluster uses the same.
        "VOTE_FLUSH_INTERVAL": flush_seconds,
        # False: no background flusher; the holder calls flush_votes() (tests drive it by hand).
        "VOTE_FLUSH_BACKGROUND": True,
        # How often moderators hear who is connected (seconds); False: no background task (tests).
        "PRESENCE_INTERVAL": 1.0,
        "PRESENCE_BACKGROUND": True,
        # Connections served at once (eventlet's own default is 1,024); a phone's socket holds one.
        "MAX_CONNECTIONS": _positive_int(env, "YSDW_MAX_CONNECTIONS", 10_000),
        # A staff login ends this many hours after it began however busy (ASVS 3.3.2: 12 hours), and
        # after this many minutes without a request; bearer tokens expire this many days after issue.
        "STAFF_SESSION_HOURS": _positive_int(env, "YSDW_SESSION_HOURS", 12),
        "STAFF_SESSION_IDLE_MINUTES": _positive_int(env, "YSDW_SESSION_IDLE_MINUTES", 60),
        "TOKEN_DAYS": _positive_int(env, "YSDW_TOKEN_DAYS", 30),
        # The retention purge once a day while app.py serves; off ("0") when cron runs `flask purge` instead.
        "DAILY_PURGE": env.get("YSDW_DAILY_PURGE", "1") != "0",
        # Words that hold back a word-cloud or open-text poll answer, added to the built-in list and
        # to instance/blocked_words.txt (comma-separated).
        "BLOCKED_WORDS": env.get("YSDW_BLOCKED_WORDS", ""),
    }
    return settings

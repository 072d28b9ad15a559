"""Security headers, cookies and files: no-store for private answers, HSTS over HTTPS, a narrow CSP, 0600 files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import bearer, login, make_test_app, token_for
from ysdw_live import create_app
from ysdw_live.auth.models import Role

API = "/api/v1"


def directives(response) -> dict[str, str]:
    """Return the Content-Security-Policy as {directive: sources}."""
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.fixture
def staff_client(client, factory):
    """A client logged in as a facilitator, and a meeting."""
    user = factory.user(Role.facilitator)
    login(client, user.email)
    return client, factory.meeting(status="live")


def test_staff_pages_are_never_stored(staff_client):
    """Every staff page answers Cache-Control: no-store (a shared computer's cache keeps nothing)."""
    client, meeting = staff_client
    for path in ("/dashboard", "/staff/series", f"/staff/meetings/{meeting.code}", f"/moderate/{meeting.code}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path


def test_api_answers_with_private_data_are_never_stored(client, anon_client, factory):
    """Staff API answers, a participant's own pending concerns and actions with notes: no-store."""
    meeting = factory.meeting(status="live", moderation=True)
    headers = bearer(token_for(anon_client, factory.user(Role.admin).email))
    answers = [
        anon_client.get(f"{API}/series", headers=headers),
        anon_client.get(f"{API}/meetings/{meeting.code}/concerns", headers=headers),
        anon_client.get(f"{API}/series/{meeting.series_id}/actions", headers=headers),
    ]
    client.post(f"{API}/meetings/{meeting.code}/participants")
    client.post(f"{API}/meetings/{meeting.code}/concerns", json={"text": "My own pending concern"})
    answers.append(client.get(f"{API}/meetings/{meeting.code}/concerns"))
    for response in answers:
        assert response.status_code == 200, response.request.path
        assert "no-store" in response.headers.get("Cache-Control", ""), response.request.path
    # Errors too: a 401 or 404 says nothing a cache should keep.
    assert "no-store" in anon_client.get(f"{API}/series").headers.get("Cache-Control", "")


def test_qr_codes_and_static_files_keep_their_own_caching(client, factory):
    """What is the same for everyone keeps its cache policy."""
    meeting = factory.meeting()
    assert client.get(f"{API}/meetings/{meeting.code}/qr.svg").headers["Cache-Control"] == "max-age=300"
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_every_page_has_the_isolation_headers(client):
    """Permissions-Policy turns off what no page uses; the opener is isolated; the old headers stay."""
    response = client.get("/")
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_no_hsts_over_plain_http(client):
    """Over HTTP, with an http public URL, HSTS would be wrong (the venue LAN has no certificate)."""
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_when_the_request_is_secure(client):
    """A request that arrived over HTTPS (directly, or from a trusted proxy's X-Forwarded-Proto) gets HSTS."""
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 180 * 24 * 3600


def test_hsts_and_secure_cookies_when_the_public_url_is_https(tmp_path, test_database):
    """YSDW_PUBLIC_URL https://… means HSTS and Secure cookies, even when TLS ends at a proxy that is not trusted."""
    app = make_test_app(tmp_path / "instance", test_database.fresh_url(tmp_path), PUBLIC_URL="https://meet.example.org")
    test_database.empty(app.extensions["ysdw_engine"])
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        client = app.test_client()
        page = client.get("/login")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "Secure" in page.headers["Set-Cookie"]
        assert "wss://meet.example.org" in directives(page)["connect-src"]
    finally:
        app.extensions["ysdw_engine"].dispose()


def test_cookies_are_not_secure_on_a_plain_http_lan(app, client):
    """With an http public URL and no YSDW_COOKIE_SECURE, cookies must work over plain HTTP."""
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "Secure" not in client.get("/login").headers["Set-Cookie"]


def test_cookie_secure_from_the_environment(monkeypatch, tmp_path, test_database):
    """YSDW_COOKIE_SECURE=1 still forces Secure cookies whatever the public URL."""
    monkeypatch.setenv("YSDW_COOKIE_SECURE", "1")
    app = make_test_app(tmp_path / "instance", test_database.fresh_url(tmp_path))
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        app.extensions["ysdw_engine"].dispose()


def test_connect_src_allows_only_this_sites_sockets(client):
    """connect-src: 'self' and WebSockets to this very host (as asked, and as the public URL names it), no others."""
    sources = directives(client.get("/", headers={"Host": "venue.local:5000"}))["connect-src"].split()
    assert sources == ["'self'", "ws://venue.local:5000", "ws://yswd.test"]
    assert "ws:" not in sources and "wss:" not in sources
    secure = directives(client.get("/", base_url="https://venue.local"))["connect-src"].split()
    assert secure == ["'self'", "wss://venue.local", "ws://yswd.test"]


def test_a_strange_host_header_adds_nothing_to_the_policy(client):
    """A Host header with characters no host name has cannot inject a source or a directive."""
    policy = client.get("/", headers={"Host": "evil.example;script-src *"}).headers["Content-Security-Policy"]
    assert "evil" not in policy and "script-src 'self';" in policy + ";"


def test_secret_key_instance_folder_and_sqlite_file_are_private(tmp_path, monkeypatch):
    """A fresh instance folder is 0700, the secret key and the SQLite database in it 0600, whatever the umask."""
    monkeypatch.delenv("YSDW_SECRET_KEY", raising=False)
    old_umask = os.umask(0o022)
    try:
        instance = tmp_path / "fresh" / "instance"
        database = instance / "yswd_live.sqlite3"
        app = create_app(
            {"INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{database}", "ASYNC_MODE": "threading"}
        )
        with app.app_context():
            from ysdw_live import migrations

            migrations.upgrade(app)
        app.extensions["ysdw_engine"].dispose()
    finally:
        os.umask(old_umask)
    assert mode_of(instance) == 0o700
    assert mode_of(instance / "secret_key") == 0o600
    assert mode_of(database) == 0o600
    for sibling in instance.glob("yswd_live.sqlite3-*"):  # WAL and shared memory, when left behind
        assert mode_of(sibling) == 0o600, sibling


def test_an_existing_instance_folder_keeps_its_mode(tmp_path, monkeypatch):
    """A folder the operator made (say 0750 for a backup group) is theirs: only what we create is narrowed."""
    monkeypatch.delenv("YSDW_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o750)
    instance.chmod(0o750)
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": "sqlite://", "ASYNC_MODE": "threading"})
    app.extensions["ysdw_engine"].dispose()
    assert mode_of(instance) == 0o750
    assert mode_of(instance / "secret_key") == 0o600


def mode_of(path: Path) -> int:
    """Return the permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)

"""Everything is served from the app itself: no CDN, no web fonts, no analytics, no outside resource.

A meeting on a laptop hotspot with no internet must work completely, so nothing a page loads may
come from another host. Links people may choose to follow (police.uk, the EASS) are fine; they
are listed in LINK_HOSTS. The scan covers the templates, our own CSS and JavaScript (not
static/vendor, which is pinned from npm and checked by the page-weight browser test), the shipped
privacy notice, and the rendered pages of the demo, for staff and for attendees.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from tests.conftest import PUBLIC_URL, login
from ysdw_live.auth.models import Role
from ysdw_live.demo import load_demo
from ysdw_live.meetings.models import Meeting, MeetingStatus
from ysdw_live.surveys.models import Survey

ROOT = Path(__file__).resolve().parents[1]
SCANNED = [
    *sorted((ROOT / "templates").rglob("*.html")),
    *sorted((ROOT / "static" / "css").rglob("*.css")),
    *sorted((ROOT / "static" / "js").rglob("*.js")),
    ROOT / "ysdw_live" / "privacy" / "default_notice.html",
]
# Hosts a page may *link* to in an <a href> (a person chooses to go there); nothing is loaded from them.
LINK_HOSTS = {"www.police.uk", "www.equalityadvisoryservice.com", "ico.org.uk"}
# Names that look like addresses but are never fetched: XML namespaces.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml"}
OWN_HOSTS = {"localhost", "127.0.0.1", urlsplit(PUBLIC_URL).hostname}

ABSOLUTE = re.compile(r"""(?P<url>https?://[^\s"'<>)\\`]+)""", re.IGNORECASE)
PROTOCOL_RELATIVE = re.compile(r"""(?:src|href|action|content)\s*=\s*["']?(?P<url>//[^\s"'<>]+)""", re.IGNORECASE)
CSS_OUTSIDE = re.compile(r"""(?P<url>@import[^;]*|@font-face|url\(\s*["']?(?:https?:)?//[^)]*\))""", re.IGNORECASE)
ANCHOR = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["'](?P<url>https?://[^"']+)["']""", re.IGNORECASE)


def outside_urls(text: str) -> list[str]:
    """Return every reference in ``text`` to a resource on another host (or a web font, or an @import)."""
    linked = {
        match.group("url") for match in ANCHOR.finditer(text) if urlsplit(match.group("url")).hostname in LINK_HOSTS
    }
    found = []
    for match in ABSOLUTE.finditer(text):
        url = match.group("url")
        if url in NAMESPACES or url in linked or urlsplit(url).hostname in OWN_HOSTS:
            continue
        found.append(url)
    found += [match.group("url") for match in PROTOCOL_RELATIVE.finditer(text)]
    found += [match.group("url") for match in CSS_OUTSIDE.finditer(text)]
    return found


def test_the_scanner_finds_what_it_is_for():
    """Each kind of outside reference is caught; our own addresses, namespaces and allowed links are not."""
    sample = """
    <script src="https://cdn.jsdelivr.net/npm/chart.js"></script>
    <link href="//fonts.googleapis.com/css?family=Roboto" rel="stylesheet">
    <style>@import url("https://fonts.googleapis.com/css2");
    .x { background: url(//cdn.example.com/a.png) }
    @font-face { font-family: X; src: url(/static/x.woff2) }</style>
    <svg xmlns="http://www.w3.org/2000/svg"></svg>
    <a href="https://www.police.uk/">police.uk</a> <a href="http://localhost/j/ABC">join</a>
    fetch("https://analytics.example.net/collect")
    """
    found = outside_urls(sample)
    assert "https://cdn.jsdelivr.net/npm/chart.js" in found
    assert "//fonts.googleapis.com/css?family=Roboto" in found
    assert any(url.startswith("@import") for url in found)
    assert "url(//cdn.example.com/a.png)" in found
    assert "@font-face" in found
    assert "https://analytics.example.net/collect" in found
    assert not [url for url in found if "police.uk" in url or "w3.org" in url or "localhost" in url]


def test_no_template_stylesheet_or_script_of_ours_loads_anything_from_another_host():
    """Templates, static CSS/JS (not vendor) and the shipped notice name no outside resource, and no web font."""
    problems = {str(path.relative_to(ROOT)): outside_urls(path.read_text(encoding="utf-8")) for path in SCANNED}
    problems = {path: urls for path, urls in problems.items() if urls}
    assert not problems, f"outside resources (the app must work with no internet): {problems}"


def test_no_rendered_page_of_the_demo_loads_anything_from_another_host(app, client, db, factory):
    """Every kind of page the demo shows, to attendees and staff, names no outside resource."""
    code = load_demo(db)
    winter = db.scalar(select(Meeting).where(Meeting.status == MeetingStatus.closed))
    meeting = db.scalar(select(Meeting).where(Meeting.code == code))
    survey = db.scalar(select(Survey))
    series_id = meeting.series_id
    winter_code, survey_id = winter.code, survey.id
    db.rollback()
    attendee = app.test_client()
    public_pages = [
        "/",
        f"/j/{code}",
        f"/present/{code}",
        f"/series/{series_id}/actions",
        "/privacy",
        "/accessibility",
        "/login",
        f"/j/{winter_code}/survey",
        "/no-such-page",
    ]
    problems: dict[str, list[str]] = {}
    for path in public_pages:
        response = attendee.get(path)
        assert response.status_code in (200, 404), path
        problems[path] = outside_urls(response.get_data(as_text=True))
    login(client, factory.user(Role.admin).email)
    staff_pages = [
        "/dashboard",
        "/staff/series",
        f"/staff/meetings/{code}/poster",
        f"/staff/meetings/{code}",
        f"/moderate/{code}",
        f"/lead/{code}",
        f"/staff/surveys/{survey_id}",
        f"/staff/series/{series_id}",
        f"/staff/series/{series_id}/actions",
        "/staff/audit",
    ]
    for path in staff_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        problems[path] = outside_urls(response.get_data(as_text=True))
    problems = {path: urls for path, urls in problems.items() if urls}
    assert not problems, f"outside resources on rendered pages: {problems}"

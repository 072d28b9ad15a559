"""The privacy notice: copied into the instance folder on first run, edited there, shown at /privacy, linked."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login, make_test_app
from ysdw_live.auth.models import Role
from ysdw_live.privacy import notice
from ysdw_live.series import services as series_services


def notice_file(app) -> object:
    """Return the app's notice file."""
    return notice.notice_path(app.instance_path)


def test_first_run_copies_the_default_and_never_overwrites_an_edit(tmp_path):
    """create_app puts the shipped default in instance/; a later start keeps the organisation's edit."""
    instance = tmp_path / "instance"
    app = make_test_app(instance, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    path = instance / "privacy_notice.html"
    assert path.read_bytes() == notice.DEFAULT_NOTICE.read_bytes()
    assert notice.is_unedited(instance)
    path.write_text("<p>Our own notice.</p>", encoding="utf-8")
    app.extensions["ysdw_engine"].dispose()
    again = make_test_app(instance, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert path.read_text(encoding="utf-8") == "<p>Our own notice.</p>"
    assert not notice.is_unedited(instance)
    again.extensions["ysdw_engine"].dispose()


def test_the_default_notice_renders_with_placeholders_and_the_retention_periods(client, db, factory):
    """The shipped notice shows (its [placeholders] say what to fill in) with the periods of every series."""
    factory.series(title="Hull focus group")
    series_services.create_series(db, factory.actor(Role.admin), "Youth panel", retention_months=6)
    response = client.get("/privacy")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 class="heading-xl">Privacy notice</h1>' in page
    assert "[Name of the force or organisation]" in page
    assert "THE PRIVACY NOTICE OF THIS SERVER" not in page  # the editing instructions are a template comment
    assert re.search(
        r"<strong>6 months</strong>: Youth panel</li>\s*<li><strong>24 months</strong>: Hull focus group", page
    )
    assert "ico.org.uk" in page


def test_an_edit_shows_at_the_next_load_autoescaped(app, client):
    """The organisation's edit replaces the text at once; template values are escaped like any page."""
    path = notice_file(app)
    path.write_text(
        "<p>Hull Police is the controller.</p><p>{{ '<script>x</script>' }}</p>"
        "{% for months, titles in retention_periods %}{{ months }}{% endfor %}",
        encoding="utf-8",
    )
    page = client.get("/privacy").get_data(as_text=True)
    assert "<p>Hull Police is the controller.</p>" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    path.write_text("<p>Second version, same length!</p>", encoding="utf-8")
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later edit, whatever the clock
    assert "Second version" in client.get("/privacy").get_data(as_text=True)


def test_a_broken_notice_says_so_without_a_traceback(app, client):
    """A template mistake in the edited notice answers 503 with a plain message (the log says what is wrong)."""
    notice_file(app).write_text("<p>{% if %}</p>", encoding="utf-8")
    response = client.get("/privacy")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "cannot be shown just now" in page and "Traceback" not in page and "TemplateSyntaxError" not in page
    assert "How long we keep it" in page  # the facts the app knows are still there


def test_a_deleted_notice_is_copied_back(app, client):
    """If someone deletes the file, the default comes back rather than a broken page."""
    notice_file(app).unlink()
    assert client.get("/privacy").status_code == 200
    assert notice.is_unedited(app.instance_path)


@pytest.mark.parametrize("path", ["/", "/j/{code}", "/series/{series_id}/actions", "/login", "/privacy"])
def test_every_attendee_and_public_page_links_the_notice_in_its_footer(client, factory, path):
    """The join page, the attendee's meeting page and the public pages link /privacy from the footer."""
    meeting = factory.meeting(status="live")
    page = client.get(path.format(code=meeting.code, series_id=meeting.series_id)).get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">') :]
    assert '<a href="/privacy">Privacy: how we use what you tell us</a>' in footer


def test_admins_are_reminded_to_fill_in_the_notice(client, app, factory):
    """While the notice is the shipped default, the admin's dashboard says so; once edited it does not."""
    admin = factory.user(Role.admin)
    login(client, admin.email)
    assert "still has its example text" in client.get("/dashboard").get_data(as_text=True)
    notice_file(app).write_text("<p>Filled in.</p>", encoding="utf-8")
    assert "still has its example text" not in client.get("/dashboard").get_data(as_text=True)


def test_facilitators_are_not_shown_the_reminder(client, factory):
    """Only admins, who can change the server, are told to edit the file."""
    login(client, factory.user(Role.facilitator).email)
    assert "still has its example text" not in client.get("/dashboard").get_data(as_text=True)

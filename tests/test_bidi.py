"""Text people typed is shown bidi-isolated on every page: an override inside it cannot reorder what is around it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.actions_support import add_concern
from tests.conftest import login
from ysdw_live.actions import services as actions
from ysdw_live.actors import Actor
from ysdw_live.auth.models import Role

# A right-to-left override, a zero-width space and a zero-width joiner around a findable word.
EVIL = "Stop\u202esiht\u200bdaer\u200d"
# Elements whose text is its own world: the browser lays out a control's or a script's text alone.
OWN_TEXT = {"textarea", "option", "script", "template", "style"}
# Elements with no end tag, which never enclose text.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class IsolationChecker(HTMLParser):
    """Collect every piece of text holding EVIL that is not isolated from the text around it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.exposed: list[str] = []
        self.seen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter an element."""
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        """Leave the innermost open element named ``tag``."""
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        """Check text holding EVIL: inside <bdi>, an element with dir/class user-text, or FSI…PDI in the title."""
        if "siht" not in data or not self.stack:
            return
        self.seen += 1
        tag, attrs = self.stack[-1]
        if tag in OWN_TEXT:
            return
        if tag == "title":
            if f"\u2068{EVIL}" not in data and "\u2068" not in data:
                self.exposed.append(f"<title>{data!r}")
            return
        isolated = tag == "bdi" or attrs.get("dir") == "auto" or "user-text" in (attrs.get("class") or "").split()
        if not isolated:
            self.exposed.append(f"<{tag} {attrs}>{data!r}")


def exposed_text(html: str) -> tuple[int, list[str]]:
    """Return how many pieces of EVIL text the page holds, and those not isolated."""
    checker = IsolationChecker()
    checker.feed(html)
    return checker.seen, checker.exposed


@pytest.fixture
def world(db, factory):
    """A series, meeting, concern, topic and action whose every typed text carries EVIL."""
    series = factory.series(title=f"Series {EVIL}", topics=[f"Topic {EVIL}"])
    meeting = factory.meeting(series, status="live", moderation=False, title=f"Meeting {EVIL}", venue=f"Hall {EVIL}")
    concern = add_concern(db, meeting, f"Concern {EVIL}", topic=series.topics[0], author_name=f"Sam {EVIL}")
    leader = factory.user(Role.leader)
    leader.display_name = f"Lee {EVIL}"
    db.commit()
    action = actions.create_action(
        db,
        Actor(user=leader),
        series.id,
        {
            "you_said": f"Said {EVIL}",
            "we_did": f"Did {EVIL}",
            "owner": f"Owner {EVIL}",
            "private_notes": f"Notes {EVIL}",
            "status": "agreed",
            "concern_ids": [concern.id],
        },
    )
    actions.add_update(db, Actor(user=leader), action.id, {"text": f"Update {EVIL}", "status": "in_progress"})
    return {"series": series, "meeting": meeting, "action": action, "leader": leader}


def test_public_pages_isolate_every_typed_text(client, world):
    """Attendee page, projector and public action list: each typed text is in a <bdi> or an isolating element."""
    meeting, series = world["meeting"], world["series"]
    for path in (f"/j/{meeting.code}", f"/present/{meeting.code}", f"/series/{series.id}/actions"):
        response = client.get(path)
        assert response.status_code == 200, path
        seen, exposed = exposed_text(response.get_data(as_text=True))
        assert seen >= 3, path
        assert exposed == [], path


def test_staff_pages_isolate_every_typed_text(client, world):
    """Console, leaders' stream, action pages and the staff lists isolate it too."""
    meeting, series, action = world["meeting"], world["series"], world["action"]
    login(client, world["leader"].email)
    for path in (
        f"/moderate/{meeting.code}",
        f"/lead/{meeting.code}",
        f"/staff/actions/{action.id}",
        f"/staff/series/{series.id}/actions",
        f"/staff/series/{series.id}",
        f"/staff/meetings/{meeting.code}",
        f"/staff/meetings/{meeting.code}/poster",
        "/staff/series",
        "/dashboard",
    ):
        response = client.get(path)
        if response.status_code == 403:  # a leader may not open the console: an admin checks it below
            continue
        assert response.status_code == 200, path
        seen, exposed = exposed_text(response.get_data(as_text=True))
        assert seen >= 1, path
        assert exposed == [], path


def test_console_isolates_every_typed_text(client, factory, world):
    """The facilitator console, as an admin sees it (the queue, the live list, the report-back line)."""
    login(client, factory.user(Role.admin).email)
    seen, exposed = exposed_text(client.get(f"/moderate/{world['meeting'].code}").get_data(as_text=True))
    assert seen >= 3
    assert exposed == []


def test_the_bdi_filter_escapes_and_isolates(app):
    """The filter escapes what it wraps; empty text gives nothing."""
    with app.app_context():
        template = app.jinja_env.from_string("[{{ text | bdi }}][{{ text | isolate }}]")
        assert template.render(text="<b>") == "[<bdi>&lt;b&gt;</bdi>][\u2068&lt;b&gt;\u2069]"
        assert template.render(text="") == "[][]"

"""Who may call what: every route × anonymous, participant, leader, facilitator, admin → status.

HOW TO ADD A ROUTE (read this before adding an endpoint or a page)
--------------------------------------------------------------------
Every rule in ``app.url_map`` must either be listed in ``PUBLIC_ROUTES`` (anyone, no identity
needed, nothing private) or have a ``Row`` per method in ``API_ROWS`` / ``PAGE_ROWS`` below;
``test_every_route_has_a_row`` fails otherwise and names the missing (method, rule).

A row says::

    Row("PATCH", "/api/v1/series/<int:series_id>", MANAGERS(200), json={"title": "Renamed"})

- ``rule`` is written exactly as Flask shows it; the URL called is the rule with each
  ``<…:name>`` filled from the world (``World.ids``: series_id, code, draft_code, … — add an id
  with ``setup`` when your row needs one, e.g. ``setup=lambda w: {"concern_id": ...}``).
- ``expect`` maps each role to the status it must get. Shorthands: ``ALL_STAFF(200)``,
  ``MANAGERS(201)`` (leader 403), ``STAFF_AND_LEADERS(...)``, ``PARTICIPANTS(...)``; for pages,
  anonymous callers and participants are sent to the login page (302 to /login).
- API calls authenticate staff with ``Authorization: Bearer`` and participants with
  ``X-Participant-Token``; pages use the login cookie / participant cookie and a valid CSRF token.
- Each (row, role) runs on a fresh database, so a row may change state freely.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import current_app

from tests.conftest import PASSWORD, csrf_from
from ysdw_live.auth.models import Role
from ysdw_live.ratelimit import Limiter

ROLES = ("anonymous", "participant", "leader", "facilitator", "admin")

# Routes anyone may call with no identity at all, and that show nothing private.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/static/<path:filename>"),
        ("GET", "/api/openapi.json"),
        ("GET", "/healthz"),
        ("GET", "/"),
        ("POST", "/join"),
        ("GET", "/j/<code>"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/series/<int:series_id>"),
        ("GET", "/api/v1/meetings/<code>"),
        ("POST", "/api/v1/meetings/<code>/participants"),
        ("GET", "/api/v1/meetings/<code>/qr.svg"),
        ("GET", "/api/v1/meetings/<code>/qr.png"),
        ("GET", "/favicon.ico"),
        ("GET", "/present/<code>"),  # the projector shows only what attendees may see
        ("GET", "/privacy"),  # the privacy notice: the organisation's text and the retention periods
        ("GET", "/accessibility"),  # the accessibility statement
    }
)


def limits() -> Limiter:
    """Return the app's rate limiter, which the adapters pass to the services that count."""
    return current_app.extensions["ysdw_limiter"]


def _statuses(anonymous: int, participant: int, leader: int, facilitator: int, admin: int) -> dict[str, int]:
    """Return the role → status mapping."""
    return dict(zip(ROLES, (anonymous, participant, leader, facilitator, admin), strict=True))


def ALL_STAFF(ok: int) -> dict[str, int]:
    """Any logged-in staff member; API callers without a staff login get 401."""
    return _statuses(401, 401, ok, ok, ok)


def MANAGERS(ok: int) -> dict[str, int]:
    """Admins and facilitators; leaders get 403."""
    return _statuses(401, 401, 403, ok, ok)


def STAFF_AND_LEADERS(ok: int) -> dict[str, int]:
    """Same as ALL_STAFF; named for rows where leaders are meant to be included."""
    return ALL_STAFF(ok)


def PARTICIPANTS(ok: int, *, anonymous: int = 401, staff: int | None = None) -> dict[str, int]:
    """A participant of the meeting; staff get ``staff`` (the same as participants by default)."""
    staff_status = ok if staff is None else staff
    return _statuses(anonymous, ok, staff_status, staff_status, staff_status)


def PAGE_ALL_STAFF(ok: int) -> dict[str, int]:
    """A staff page any staff member may use; others are sent to log in."""
    return _statuses(302, 302, ok, ok, ok)


def PAGE_ADMINS(ok: int) -> dict[str, int]:
    """A staff page for admins only; leaders and facilitators get 403, others are sent to log in."""
    return _statuses(302, 302, 403, 403, ok)


def PAGE_MANAGERS(ok: int) -> dict[str, int]:
    """A staff page for admins and facilitators; leaders get 403, others are sent to log in."""
    return _statuses(302, 302, 403, ok, ok)


@dataclass
class World:
    """What every (row, role) case starts from: a series with topics, a live and a draft meeting."""

    ids: dict[str, Any]
    factory: Any
    db: Any


def _an_action(world: World) -> dict[str, Any]:
    """Create an action in the world's series, for rows whose URL names one."""
    from ysdw_live.actions import services as actions

    action = actions.create_action(
        world.db,
        world.factory.actor(Role.leader),
        world.ids["series_id"],
        {"you_said": "Street lights are out on Mill Road"},
    )
    return {"action_id": action.id}


def _a_staff_member(world: World) -> dict[str, Any]:
    """Create a facilitator account, for rows whose URL names a staff member."""
    return {"user_id": world.factory.user(Role.facilitator).id}


def _a_concern(world: World) -> dict[str, Any]:
    """Raise and approve a concern in the live meeting, for rows whose URL names one (leaves an undo step)."""
    from ysdw_live.actors import Actor
    from ysdw_live.concerns import services as concerns
    from ysdw_live.meetings import services as meetings

    meeting = meetings.get_meeting(world.db, world.ids["code"])
    participant, _token = meetings.join(world.db, meeting, None)
    concern = concerns.submit_concern(
        world.db, Actor(participant=participant), meeting, text="Speeding on Hall Road", limiter=limits()
    )
    concerns.moderate(world.db, world.factory.actor(Role.facilitator), concern.id, {"status": "approved"})
    return {"concern_id": concern.id}


def _a_poll(world: World, *, visible: bool = True) -> dict[str, Any]:
    """Prepare and open a rating poll in the live meeting, its results shown or hidden."""
    from ysdw_live.meetings import services as meetings
    from ysdw_live.polls import services as polls

    meeting = meetings.get_meeting(world.db, world.ids["code"])
    facilitator = world.factory.actor(Role.facilitator)
    poll = polls.create_poll(
        world.db, facilitator, meeting, kind="rating", question="How safe?", results_visible=visible
    )
    polls.change_poll(world.db, facilitator, poll.id, {"status": "open"})
    return {"poll_id": poll.id}


def _a_survey(world: World) -> dict[str, Any]:
    """Open the live meeting's survey with one response (a text answer), for rows whose URL names one."""
    from ysdw_live.actors import Actor
    from ysdw_live.clock import Clock
    from ysdw_live.meetings import services as meetings
    from ysdw_live.surveys import services as surveys

    meeting = meetings.get_meeting(world.db, world.ids["code"])
    clock = Clock.named("UTC")
    survey = surveys.create_survey(
        world.db, world.factory.actor(Role.facilitator), meeting, {"template": "trust_confidence"}, clock=clock
    )
    text = survey.questions[-1]
    participant, _token = meetings.join(world.db, meeting, None)
    response = surveys.submit_response(
        world.db, Actor(participant=participant), survey.id, {str(text.id): "More foot patrols"}, clock=clock
    )
    return {"survey_id": survey.id, "answer_id": response.answers[0].id, "number": 1}


@dataclass(frozen=True)
class Row:
    """One method on one route and the status each role must get."""

    method: str
    rule: str
    expect: dict[str, int]
    json: Any = None
    form: dict[str, str] | None = None
    setup: Callable[[World], dict[str, Any]] | None = field(default=None, compare=False)
    query: str = ""
    # Pages only: whether a 302 for anonymous callers and participants must lead to /login.
    staff_only: bool = True

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"{self.method} {self.rule}{'?' + self.query if self.query else ''}"

    def url(self, ids: dict[str, Any]) -> str:
        """Return the rule with every ``<converter:name>`` replaced by the world's id."""
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), self.rule)
        return path + ("?" + self.query if self.query else "")


# ---------------------------------------------------------------------------------------------
# THE TABLE: /api/v1 (called with Bearer / X-Participant-Token headers, no cookies, no Origin)
# ---------------------------------------------------------------------------------------------
API_ROWS: list[Row] = [
    # Foundation: tokens, series, meetings
    Row("DELETE", "/api/v1/auth/token", ALL_STAFF(204)),
    Row("GET", "/api/v1/series", ALL_STAFF(200)),
    Row("POST", "/api/v1/series", MANAGERS(201), json={"title": "New series", "topics": ["Youth"]}),
    Row("PATCH", "/api/v1/series/<int:series_id>", MANAGERS(200), json={"title": "Renamed"}),
    Row("GET", "/api/v1/series/<int:series_id>/meetings", ALL_STAFF(200)),
    Row("POST", "/api/v1/series/<int:series_id>/meetings", MANAGERS(201), json={"title": "Autumn meeting"}),
    Row("PATCH", "/api/v1/meetings/<code>", MANAGERS(200), json={"status": "closed"}),
    # Public routes are checked too, so "public" is proven, not assumed.
    Row("GET", "/api/v1/series/<int:series_id>", _statuses(200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/meetings/<code>", _statuses(200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/meetings/<code>/qr.svg", _statuses(200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/meetings/<code>/qr.png", _statuses(200, 200, 200, 200, 200)),
    Row("POST", "/api/v1/meetings/<code>/participants", _statuses(201, 201, 201, 201, 201)),
    # You Said, We Did: reads are public (no private notes); writes and ?include=private are for all staff.
    Row("GET", "/api/v1/series/<int:series_id>/actions", _statuses(200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/series/<int:series_id>/actions", STAFF_AND_LEADERS(200), query="include=private"),
    # Impact across meetings: any staff member; attendees and strangers get 401.
    Row("GET", "/api/v1/series/<int:series_id>/impact", ALL_STAFF(200)),
    Row("POST", "/api/v1/series/<int:series_id>/actions", STAFF_AND_LEADERS(201), json={"you_said": "Lights out"}),
    Row("GET", "/api/v1/actions/<int:action_id>", _statuses(200, 200, 200, 200, 200), setup=lambda w: _an_action(w)),
    Row(
        "GET",
        "/api/v1/actions/<int:action_id>",
        STAFF_AND_LEADERS(200),
        query="include=private",
        setup=lambda w: _an_action(w),
    ),
    Row(
        "PATCH",
        "/api/v1/actions/<int:action_id>",
        STAFF_AND_LEADERS(200),
        json={"progress": 50},
        setup=lambda w: _an_action(w),
    ),
    Row(
        "POST",
        "/api/v1/actions/<int:action_id>/updates",
        STAFF_AND_LEADERS(201),
        json={"text": "Six lights replaced.", "status": "completed"},
        setup=lambda w: _an_action(w),
    ),
    Row("GET", "/api/v1/meetings/<code>/report-back", _statuses(200, 200, 200, 200, 200)),
    # Live Q&A: participants raise and vote (staff have no participant, so 401); managers moderate.
    Row("GET", "/api/v1/meetings/<code>/concerns", PARTICIPANTS(200)),
    Row("POST", "/api/v1/meetings/<code>/concerns", PARTICIPANTS(201, staff=401), json={"text": "Lights out"}),
    Row(
        "POST", "/api/v1/meetings/<code>/concerns", MANAGERS(201), json={"text": "From a card", "source": "facilitator"}
    ),
    Row("PUT", "/api/v1/concerns/<int:concern_id>/vote", PARTICIPANTS(200, staff=401), setup=lambda w: _a_concern(w)),
    Row(
        "DELETE", "/api/v1/concerns/<int:concern_id>/vote", PARTICIPANTS(200, staff=401), setup=lambda w: _a_concern(w)
    ),
    Row(
        "PATCH",
        "/api/v1/concerns/<int:concern_id>",
        MANAGERS(200),
        json={"status": "answered"},
        setup=lambda w: _a_concern(w),
    ),
    Row("POST", "/api/v1/meetings/<code>/moderation/undo", MANAGERS(200), setup=lambda w: _a_concern(w)),
    Row("PATCH", "/api/v1/meetings/<code>/projector", MANAGERS(200), json={"mode": "concerns"}),
    Row("GET", "/api/v1/meetings/<code>/counters", ALL_STAFF(200)),
    Row("GET", "/api/v1/meetings/<code>/export.csv", ALL_STAFF(200)),
    # Exports: any staff member (leaders too), each download audited; attendees and strangers never.
    Row("GET", "/api/v1/meetings/<code>/polls.csv", ALL_STAFF(200), setup=lambda w: _a_poll(w)),
    Row("GET", "/api/v1/series/<int:series_id>/actions.csv", ALL_STAFF(200), setup=lambda w: _an_action(w)),
    Row("GET", "/api/v1/series/<int:series_id>/priorities.json", ALL_STAFF(200), setup=lambda w: _an_action(w)),
    # Live polls: participants answer and read revealed results; managers prepare, open, close and reveal.
    Row("GET", "/api/v1/meetings/<code>/polls", PARTICIPANTS(200)),
    Row("POST", "/api/v1/meetings/<code>/polls", MANAGERS(201), json={"kind": "rating", "question": "How safe?"}),
    Row("PATCH", "/api/v1/polls/<int:poll_id>", MANAGERS(200), json={"status": "closed"}, setup=lambda w: _a_poll(w)),
    Row("GET", "/api/v1/polls/<int:poll_id>/results", PARTICIPANTS(200), setup=lambda w: _a_poll(w)),
    Row(
        "GET",
        "/api/v1/polls/<int:poll_id>/results",
        PARTICIPANTS(403, staff=200),
        setup=lambda w: _a_poll(w, visible=False),
        query="hidden",
    ),
    Row(
        "POST",
        "/api/v1/polls/<int:poll_id>/responses",
        PARTICIPANTS(201, staff=401),
        json={"value": 1},
        setup=lambda w: _a_poll(w),
    ),
    # Surveys: participants of the meeting read and answer (anyone else is told it does not exist); managers run them.
    Row("POST", "/api/v1/meetings/<code>/surveys", MANAGERS(201), json={"template": "trust_confidence"}),
    Row("GET", "/api/v1/surveys/<int:survey_id>", _statuses(404, 200, 200, 200, 200), setup=lambda w: _a_survey(w)),
    Row(
        "POST",
        "/api/v1/surveys/<int:survey_id>/responses",
        PARTICIPANTS(201, staff=401),
        json={"answers": {}},
        setup=lambda w: _a_survey(w),
    ),
    Row(
        "PATCH",
        "/api/v1/surveys/<int:survey_id>",
        MANAGERS(200),
        json={"status": "closed"},
        setup=lambda w: _a_survey(w),
    ),
    Row("GET", "/api/v1/surveys/<int:survey_id>/results", MANAGERS(200), setup=lambda w: _a_survey(w)),
    Row("GET", "/api/v1/surveys/<int:survey_id>/responses.csv", MANAGERS(200), setup=lambda w: _a_survey(w)),
]

# The survey's pages: its link is for anyone (it mints the participant cookie); the form needs that cookie.
SURVEY_RESPONDENT = _statuses(401, 200, 401, 401, 401)

# ---------------------------------------------------------------------------------------------
# THE TABLE: pages (login cookie / participant cookie, CSRF token on posts)
# ---------------------------------------------------------------------------------------------
MEETING_FORM = {"title": "Autumn meeting", "mode": "in_person", "moderation": "on", "starts_at": "", "venue": ""}
PAGE_ROWS: list[Row] = [
    Row("GET", "/dashboard", PAGE_ALL_STAFF(200)),
    Row("GET", "/account/password", PAGE_ALL_STAFF(200)),
    Row(
        "POST",
        "/account/password",
        PAGE_ALL_STAFF(302),
        form={
            "current_password": PASSWORD,
            "password": "another good password",
            "confirm_password": "another good password",
        },
    ),
    Row("GET", "/staff/series", PAGE_ALL_STAFF(200)),
    Row("GET", "/staff/series/new", PAGE_MANAGERS(200)),
    Row("POST", "/staff/series/new", PAGE_MANAGERS(302), form={"title": "New series", "topics": "Youth\nRoads"}),
    Row("GET", "/staff/series/<int:series_id>", PAGE_ALL_STAFF(200)),
    Row("GET", "/staff/series/<int:series_id>/edit", PAGE_MANAGERS(200)),
    Row("POST", "/staff/series/<int:series_id>/edit", PAGE_MANAGERS(302), form={"title": "Renamed", "topics": ""}),
    Row("GET", "/staff/series/<int:series_id>/meetings/new", PAGE_MANAGERS(200)),
    Row("POST", "/staff/series/<int:series_id>/meetings/new", PAGE_MANAGERS(302), form=MEETING_FORM),
    Row("GET", "/staff/meetings/<code>", PAGE_ALL_STAFF(200)),
    Row("GET", "/staff/meetings/<code>/edit", PAGE_MANAGERS(200)),
    Row("POST", "/staff/meetings/<code>/edit", PAGE_MANAGERS(302), form=MEETING_FORM),
    Row("POST", "/staff/meetings/<code>/status", PAGE_MANAGERS(302), form={"status": "closed"}),
    Row("GET", "/staff/meetings/<code>/poster", PAGE_ALL_STAFF(200)),
    Row("GET", "/staff/meetings/<code>/pack", PAGE_ALL_STAFF(200), setup=lambda w: {**_a_poll(w), **_a_survey(w)}),
    # Live Q&A pages: the attendee's plain forms (raising joins the meeting), the facilitator console.
    Row(
        "POST",
        "/j/<code>/concerns",
        _statuses(302, 302, 302, 302, 302),
        form={"text": "Bus stop lighting"},
        staff_only=False,
    ),
    Row(
        "POST",
        "/j/<code>/concerns/<int:concern_id>/vote",
        _statuses(302, 302, 302, 302, 302),  # voting is a real action: it joins the meeting
        form={},
        setup=lambda w: _a_concern(w),
        staff_only=False,
    ),
    Row(
        "POST",
        "/j/<code>/polls/<int:poll_id>",
        _statuses(302, 302, 302, 302, 302),  # answering is a real action: it joins the meeting
        form={"value": "4"},
        setup=lambda w: _a_poll(w),
        staff_only=False,
    ),
    Row("GET", "/moderate/<code>", PAGE_MANAGERS(200)),
    Row("GET", "/moderate/<code>/polls/panel", PAGE_MANAGERS(200)),
    Row("POST", "/moderate/<code>/polls", PAGE_MANAGERS(302), form={"kind": "rating", "question": "How safe?"}),
    Row(
        "POST",
        "/moderate/<code>/polls/<int:poll_id>",
        PAGE_MANAGERS(302),
        form={"action": "close"},
        setup=lambda w: _a_poll(w),
    ),
    Row("POST", "/moderate/<code>/polls/copy", PAGE_MANAGERS(302), form={"source": "ABCDEF"}),
    Row(
        "POST",
        "/moderate/<code>/polls/<int:poll_id>/answers/<int:answer_id>",
        PAGE_MANAGERS(302),
        form={"hidden": "1"},
        setup=lambda w: {**_a_poll(w), "answer_id": 1},
    ),
    Row(
        "POST",
        "/moderate/<code>/concerns/<int:concern_id>",
        PAGE_MANAGERS(302),
        form={"action": "highlight"},
        setup=lambda w: _a_concern(w),
    ),
    Row("POST", "/moderate/<code>/concerns", PAGE_MANAGERS(302), form={"text": "Said out loud: the 101 wait"}),
    Row("POST", "/moderate/<code>/undo", PAGE_MANAGERS(302), setup=lambda w: _a_concern(w)),
    Row("POST", "/moderate/<code>/projector", PAGE_MANAGERS(302), form={"mode": "concerns"}),
    Row("POST", "/moderate/<code>/settings", PAGE_MANAGERS(302), form={"moderation": "off"}),
    # You Said, We Did: the leaders' stream and action pages are for all staff; the public page for anyone.
    Row("GET", "/lead/<code>", PAGE_ALL_STAFF(200)),
    Row("GET", "/staff/series/<int:series_id>/actions", PAGE_ALL_STAFF(200)),
    Row("GET", "/staff/series/<int:series_id>/actions/new", PAGE_ALL_STAFF(200)),
    Row(
        "POST",
        "/staff/series/<int:series_id>/actions/new",
        PAGE_ALL_STAFF(302),
        form={"you_said": "Lights out", "status": "agreed"},
    ),
    Row("GET", "/staff/actions/<int:action_id>", PAGE_ALL_STAFF(200), setup=lambda w: _an_action(w)),
    Row(
        "POST",
        "/staff/actions/<int:action_id>/edit",
        PAGE_ALL_STAFF(302),
        setup=lambda w: _an_action(w),
        form={
            "you_said": "Lights out",
            "we_did": "",
            "owner": "",
            "status": "agreed",
            "progress": "10",
            "due_date": "",
            "private_notes": "",
        },
    ),
    Row(
        "POST",
        "/staff/actions/<int:action_id>/updates",
        PAGE_ALL_STAFF(302),
        setup=lambda w: _an_action(w),
        form={"update_text": "Six lights replaced."},
    ),
    Row("GET", "/series/<int:series_id>/actions", _statuses(200, 200, 200, 200, 200)),
    # Impact dashboard: any staff member; the area baseline is entered by admins only.
    Row("GET", "/series/<int:series_id>/impact", PAGE_ALL_STAFF(200)),
    Row("GET", "/series/<int:series_id>/impact/baseline", PAGE_ADMINS(200)),
    Row(
        "POST",
        "/series/<int:series_id>/impact/baseline",
        PAGE_ADMINS(302),
        form={"baseline-sex-0": "51", "baseline-sex-1": "49"},
    ),
    # Privacy: the audit trail and its export are for admins; the notice is public.
    Row("GET", "/staff/audit", PAGE_ADMINS(200)),
    Row("GET", "/staff/audit.csv", PAGE_ADMINS(200)),
    # Staff accounts: admins only (a one-time password is shown on the page, so the POSTs answer 200).
    Row("GET", "/staff/users", PAGE_ADMINS(200)),
    Row("GET", "/staff/users/new", PAGE_ADMINS(200)),
    Row("POST", "/staff/users/new", PAGE_ADMINS(200), form={"email": "new.leader@example.org", "role": "leader"}),
    Row("GET", "/staff/users/<int:user_id>", PAGE_ADMINS(200), setup=_a_staff_member),
    Row("POST", "/staff/users/<int:user_id>/role", PAGE_ADMINS(302), form={"role": "leader"}, setup=_a_staff_member),
    Row("POST", "/staff/users/<int:user_id>/active", PAGE_ADMINS(302), form={"active": "0"}, setup=_a_staff_member),
    Row("POST", "/staff/users/<int:user_id>/password", PAGE_ADMINS(200), form={}, setup=_a_staff_member),
    Row("GET", "/privacy", _statuses(200, 200, 200, 200, 200)),
    # Surveys: the respondent's pages and the staff's.
    Row("GET", "/j/<code>/survey", _statuses(200, 200, 200, 200, 200), setup=lambda w: _a_survey(w), staff_only=False),
    Row("GET", "/j/<code>/survey/qr.svg", _statuses(200, 200, 200, 200, 200), setup=lambda w: _a_survey(w)),
    Row("GET", "/j/<code>/survey/done", _statuses(200, 200, 200, 200, 200), setup=lambda w: _a_survey(w)),
    Row("GET", "/j/<code>/survey/<int:number>", SURVEY_RESPONDENT, setup=lambda w: _a_survey(w)),
    Row(
        "POST",
        "/j/<code>/survey/<int:number>",
        _statuses(401, 302, 401, 401, 401),
        form={"answer": ""},
        setup=lambda w: _a_survey(w),
        staff_only=False,
    ),
    Row("GET", "/j/<code>/survey/about-you", SURVEY_RESPONDENT, setup=lambda w: _a_survey(w)),
    Row("GET", "/j/<code>/survey/about-you/questions", SURVEY_RESPONDENT, setup=lambda w: _a_survey(w)),
    Row(
        "POST",
        "/j/<code>/survey/about-you/questions",
        SURVEY_RESPONDENT,
        form={"age_band": "Prefer not to say"},
        setup=lambda w: _a_survey(w),
    ),
    Row("GET", "/j/<code>/survey/check", SURVEY_RESPONDENT, setup=lambda w: _a_survey(w)),
    Row(
        "POST",
        "/j/<code>/survey/send",
        _statuses(401, 302, 401, 401, 401),
        form={},
        setup=lambda w: _a_survey(w),
        staff_only=False,
    ),
    Row("POST", "/staff/meetings/<code>/survey", PAGE_MANAGERS(302), form={"source": "template", "days": "7"}),
    # Kiosk: only a facilitator or admin turns a browser into the kiosk; without its kiosk pass
    # (which no role here holds) every kiosk page is refused, whoever calls (tests/test_kiosk.py has the rest).
    Row("POST", "/kiosk/<code>/start", PAGE_MANAGERS(302)),
    Row("GET", "/kiosk/<code>", _statuses(403, 403, 403, 403, 403)),
    Row("POST", "/kiosk/<code>/concerns", _statuses(403, 403, 403, 403, 403), form={"text": "Lights"}),
    Row("GET", "/kiosk/<code>/survey", _statuses(403, 403, 403, 403, 403)),
    Row("POST", "/kiosk/<code>/survey", _statuses(403, 403, 403, 403, 403), form={}),
    Row("GET", "/kiosk/<code>/thanks", _statuses(403, 403, 403, 403, 403)),
    Row("GET", "/staff/surveys/<int:survey_id>", PAGE_MANAGERS(200), setup=lambda w: _a_survey(w)),
    Row(
        "POST",
        "/staff/surveys/<int:survey_id>/status",
        PAGE_MANAGERS(302),
        form={"status": "closed"},
        setup=lambda w: _a_survey(w),
    ),
    Row(
        "POST",
        "/staff/surveys/<int:survey_id>/answers/<int:answer_id>/concern",
        PAGE_MANAGERS(302),
        form={},
        setup=lambda w: _a_survey(w),
    ),
]


# ---------------------------------------------------------------------------------------------
# Machinery
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def world(factory, db) -> World:
    """A series with topics, a live meeting and a draft meeting in it."""
    series = factory.series()
    live = factory.meeting(series, status="live", title="Live meeting")
    draft = factory.meeting(series, title="Draft meeting")
    return World(ids={"series_id": series.id, "code": live.code, "draft_code": draft.code}, factory=factory, db=db)


def prepare(row: Row, world: World) -> dict[str, Any]:
    """Run the row's own setup and return the ids its URL may use."""
    ids = dict(world.ids)
    if row.setup is not None:
        ids.update(row.setup(world))
    world.db.commit()  # end any read: on SQLite an open transaction holds the write lock
    return ids


def api_identity(app, role: str, world: World) -> dict[str, str]:
    """Return the headers that make a request come from ``role`` (none for anonymous)."""
    client = app.test_client()
    if role == "anonymous":
        return {}
    if role == "participant":
        response = client.post(f"/api/v1/meetings/{world.ids['code']}/participants")
        return {"X-Participant-Token": response.get_json()["token"]}
    user = world.factory.user(Role(role))
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def page_client(app, role: str, world: World):
    """Return a browser-like client acting as ``role`` (cookies), and its CSRF token."""
    client = app.test_client()
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"
    if role == "participant":
        joined = client.post(f"/api/v1/meetings/{world.ids['code']}/participants")
        assert joined.status_code == 201
    elif role != "anonymous":
        user = world.factory.user(Role(role))
        token = csrf_from(client.get("/login").get_data(as_text=True))
        logged_in = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert logged_in.status_code == 302 and "/login" not in logged_in.headers["Location"]
    return client, csrf_from(client.get("/login").get_data(as_text=True))


# The roles whose cases the PostgreSQL pass also runs: the admin reaches every staff route's full
# path and the participant every attendee one. The refusals of the other roles are decided in the
# services before any SQL, the same on both databases, so they run on SQLite only (marked
# `sqlite_only`), which keeps the PostgreSQL pass about a minute shorter.
ROLES_ON_POSTGRESQL = ("participant", "admin")


def cases(rows: list[Row]) -> list[Any]:
    """Return one pytest param per (row, role)."""
    return [
        pytest.param(
            row, role, id=f"{row.id} as {role}", marks=() if role in ROLES_ON_POSTGRESQL else pytest.mark.sqlite_only
        )
        for row in rows
        for role in ROLES
    ]


@pytest.mark.parametrize(("row", "role"), cases(API_ROWS))
def test_api_role_matrix(app, world, row, role):
    """Each API route answers each kind of caller with the status the table expects (JSON errors)."""
    ids = prepare(row, world)
    headers = api_identity(app, role, world)
    world.db.commit()
    client = app.test_client()
    kwargs: dict[str, Any] = {"headers": headers}
    if row.json is not None:
        kwargs["json"] = row.json
    response = client.open(row.url(ids), method=row.method, **kwargs)
    expected = row.expect[role]
    assert response.status_code == expected, (row.id, role, response.get_data(as_text=True)[:500])
    if expected >= 400:
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


@pytest.mark.parametrize(("row", "role"), cases(PAGE_ROWS))
def test_page_role_matrix(app, world, row, role):
    """Each page answers each kind of caller as the table expects; outsiders are sent to log in."""
    ids = prepare(row, world)
    client, csrf = page_client(app, role, world)
    world.db.commit()
    data = None
    if row.method != "GET":
        data = {**(row.form or {}), "csrf_token": csrf}
    response = client.open(row.url(ids), method=row.method, data=data)
    expected = row.expect[role]
    assert response.status_code == expected, (row.id, role, response.get_data(as_text=True)[:500])
    if expected == 302 and row.staff_only:
        goes_to_login = "/login" in response.headers["Location"]
        assert goes_to_login == (role in ("anonymous", "participant")), response.headers["Location"]


def rule_methods(app) -> set[tuple[str, str]]:
    """Return every (method, rule) the app serves, leaving out HEAD and OPTIONS."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app):
    """No route slips through: each is public (listed) or has a row in the table above."""
    covered = {(row.method, row.rule) for row in API_ROWS + PAGE_ROWS}
    missing = sorted(rule_methods(app) - covered - PUBLIC_ROUTES)
    assert not missing, "Add a Row (or, if truly public, a PUBLIC_ROUTES entry) for: " + ", ".join(
        f"{method} {rule}" for method, rule in missing
    )


def test_table_names_only_real_routes(app):
    """Rows and public entries name routes that exist, so the table cannot rot."""
    served = rule_methods(app)
    stale = sorted({(row.method, row.rule) for row in API_ROWS + PAGE_ROWS} - served)
    stale += sorted(PUBLIC_ROUTES - served)
    assert not stale, f"These rows name routes the app does not serve: {stale}"


def test_api_rows_are_api_routes_and_page_rows_are_pages():
    """API rows are under /api/v1 and page rows are not, so each runs with the right credentials."""
    assert all(row.rule.startswith("/api/v1/") for row in API_ROWS)
    assert not any(row.rule.startswith("/api/") for row in PAGE_ROWS)
    assert all(set(row.expect) == set(ROLES) for row in API_ROWS + PAGE_ROWS)


def test_cookie_login_gets_the_same_answers_as_a_token(app, world):
    """Spot check: a logged-in browser (same Origin) gets what its bearer token gets on the API."""
    client, _csrf = page_client(app, "leader", world)
    assert client.get("/api/v1/series").status_code == 200
    assert client.post("/api/v1/series", json={"title": "No"}).status_code == 403
    manager, _csrf = page_client(app, "facilitator", world)
    assert manager.post("/api/v1/series", json={"title": "Yes"}).status_code == 201

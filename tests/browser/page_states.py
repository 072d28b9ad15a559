"""Every page a person can reach, in the states that matter, for the accessibility sweep.

``PAGE_STATES`` names each state, the endpoint it shows, who looks at it and how to get there;
``tests/test_page_coverage.py`` fails when a page (a GET endpoint that renders HTML) has no state
here, so a new page cannot miss the sweep (``tests/browser/test_every_page.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# GET endpoints that are not pages a person reads: images, files, health checks, fragments drawn
# inside a page that is swept (the polls panel is part of the console).
NOT_PAGES = frozenset(
    {
        "static",
        "favicon",
        "healthz",
        "surveys.survey_qr",
        "audit.export",
        "live.polls_panel",
    }
)


@dataclass(frozen=True)
class PageState:
    """One state of one page: ``path`` (with ``{names}`` from the demo world), seen ``as_`` whom.

    ``as_``: ``visitor`` (no login, no participant), ``phone`` (a joined participant at phone
    size), ``admin``/``leader`` (logged in), ``projector`` (the room's screen), ``kiosk`` (a tablet
    an admin turned into the meeting's kiosk). ``prepare`` runs
    on the page after it loads (fill a form, submit it wrong, move a survey on).
    """

    name: str
    endpoint: str
    path: str
    as_: str = "visitor"
    live: bool = False
    # The state is a refusal: the failed request's 4xx in the console is expected there.
    refused: bool = False
    prepare: Callable[[Any, dict[str, Any]], None] | None = field(default=None, compare=False)


def _t(world: dict[str, Any], text: str) -> str:
    """``text`` in the sweep's language: the translated sweeps put their catalogue's gettext in the world."""
    return world.get("translate", str)(text)


def _submit_empty(button: str, shows: str = ".error-summary") -> Callable[[Any, dict[str, Any]], None]:
    """Press ``button`` with the form left empty; wait for what the refusal ``shows`` (the state to check)."""

    def run(page: Any, world: dict[str, Any]) -> None:
        page.get_by_role("button", name=_t(world, button), exact=True).first.click()
        page.wait_for_selector(shows)

    return run


def _too_long_an_answer(page: Any, world: dict[str, Any]) -> None:
    """Move on to the first free-text question and send far too long an answer: its error summary."""
    for _ in range(20):
        text = page.locator("textarea")
        if text.count():
            # Past the box's maxlength (a browser without it, or an old one, could send this).
            text.first.evaluate("(el) => { el.removeAttribute('maxlength'); el.value = 'far too long '.repeat(1000); }")
            page.get_by_role("button", name=_t(world, "Continue")).click()
            page.wait_for_selector(".error-summary")
            return
        page.get_by_role("button", name=_t(world, "Continue")).click()
        page.wait_for_load_state()
    raise AssertionError("the survey has no free-text question")


def _add_a_leader(page: Any, _world: dict[str, Any]) -> None:
    """Fill the new-staff form and send it: the page with the one-time password to hand over."""
    import secrets

    page.get_by_label("E-mail address").fill(f"new-leader-{secrets.token_hex(3)}@example.org")
    page.get_by_label("Leader", exact=False).first.check()
    page.get_by_role("button", name="Add and get a one-time password").click()
    page.wait_for_selector("text=one-time password")


def _wrong_login(page: Any, world: dict[str, Any]) -> None:
    page.get_by_label(_t(world, "E-mail address")).fill("nobody@example.org")
    page.get_by_label(_t(world, "Password"), exact=True).fill("not the password at all")
    page.get_by_role("button", name=_t(world, "Log in")).click()
    page.wait_for_selector(".error-summary")


def _answer_all(page: Any, world: dict[str, Any]) -> None:
    """Answer every question of the live meeting's survey (the first choice, or a few words), then check.

    The answers go as the question pages' own form posts, through the page's cookies but without
    drawing each page (the sweep checks those pages in states of their own): it is much quicker.
    """
    base = f"/j/{world['poll_meeting']}/survey"
    origin = {"Origin": page.url.split("/j/")[0]}
    for number in range(1, 41):
        form = page.request.get(f"{base}/{number}")
        if form.status == 404:  # past the last question
            break
        html = form.text()
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, f"question {number}: no form at {form.url} ({form.status}): {html[:300]}"
        token = found.group(1)
        first = re.search(r'name="answer" value="([^"]+)"', html)
        answer = first.group(1) if first else "More patrols after dark"
        sent = page.request.post(f"{base}/{number}", form={"csrf_token": token, "answer": answer}, headers=origin)
        assert sent.ok, f"question {number}: {sent.status}"
    page.goto(f"{base}/check")


def _send_answers(page: Any, world: dict[str, Any]) -> None:
    """Answer everything and send it: the thank-you page."""
    _answer_all(page, world)
    page.get_by_role("button", name=_t(world, "Send my answers")).click()
    page.wait_for_url("**/survey/done")


PAGE_STATES: list[PageState] = [
    # Public pages
    PageState("home", "meetings.home", "/"),
    PageState("home with a wrong code", "meetings.home", "/?code=ZZZZZZ"),
    PageState("login", "auth.login", "/login"),
    PageState("login refused", "auth.login", "/login", prepare=_wrong_login),
    PageState("privacy notice", "privacy.notice", "/privacy"),
    PageState("accessibility statement", "accessibility.statement", "/accessibility"),
    PageState("public actions", "actions.public", "/series/{series_id}/actions"),
    # Attendee pages (phone size)
    PageState("attendee: live meeting", "live.join", "/j/{live}", as_="phone", live=True),
    PageState("attendee: open poll", "live.join", "/j/{other}", as_="phone", live=True),
    PageState(
        "attendee: concern refused",
        "live.join",
        "/j/{live}",
        as_="phone",
        live=True,
        refused=True,
        prepare=_submit_empty("Send", shows=".error-message"),
    ),
    PageState("attendee: closed meeting", "live.join", "/j/{closed}", as_="phone"),
    PageState("survey: start", "surveys.start", "/j/{other}/survey", as_="phone"),
    PageState("survey: first question", "surveys.question", "/j/{other}/survey/1", as_="phone"),
    PageState(
        "survey: question refused", "surveys.question", "/j/{other}/survey/1", as_="phone", prepare=_too_long_an_answer
    ),
    PageState("survey: about you", "surveys.about_you", "/j/{other}/survey/about-you", as_="phone"),
    PageState("survey: equality questions", "surveys.equality", "/j/{other}/survey/about-you/questions", as_="phone"),
    PageState("survey: check answers", "surveys.check", "/j/{other}/survey/check", as_="phone", prepare=_answer_all),
    PageState("survey: thank you", "surveys.done", "/j/{other}/survey/done", as_="phone", prepare=_send_answers),
    # The shared tablet at the door (started by staff on that browser)
    PageState("kiosk: raise a concern", "kiosk.home", "/kiosk/{other}", as_="kiosk"),
    PageState(
        "kiosk: concern refused",
        "kiosk.home",
        "/kiosk/{other}",
        as_="kiosk",
        prepare=_submit_empty("Send", shows=".error-summary"),
    ),
    PageState("kiosk: the survey", "kiosk.survey", "/kiosk/{other}/survey", as_="kiosk"),
    PageState("kiosk: thank you", "kiosk.thanks", "/kiosk/{other}/thanks", as_="kiosk"),
    # The room's screen, in each mode
    PageState("projector: join", "live.projector", "/present/{live}?mode=join", as_="projector", live=True),
    PageState("projector: concerns", "live.projector", "/present/{live}?mode=concerns", as_="projector", live=True),
    PageState("projector: poll", "live.projector", "/present/{other}?mode=poll", as_="projector", live=True),
    PageState(
        "projector: concerns, high contrast",
        "live.projector",
        "/present/{live}?mode=concerns&theme=contrast",
        as_="projector",
        live=True,
    ),
    PageState(
        "projector: concerns, light",
        "live.projector",
        "/present/{live}?mode=concerns&theme=light",
        as_="projector",
        live=True,
    ),
    PageState(
        "projector: report-back", "live.projector", "/present/{live}?mode=report_back", as_="projector", live=True
    ),
    # Staff pages
    PageState("dashboard", "meetings.dashboard", "/dashboard", as_="admin"),
    PageState("dashboard (leader)", "meetings.dashboard", "/dashboard", as_="leader"),
    PageState("change password", "auth.change_password", "/account/password", as_="admin"),
    PageState("console", "live.console", "/moderate/{live}", as_="admin", live=True),
    PageState("console with a poll", "live.console", "/moderate/{other}", as_="admin", live=True),
    PageState("leaders' stream", "actions.lead", "/lead/{live}", as_="leader", live=True),
    PageState("meeting (staff)", "meetings.manage", "/staff/meetings/{live}", as_="admin"),
    PageState("meeting (staff, closed)", "meetings.manage", "/staff/meetings/{closed}", as_="admin"),
    PageState("edit meeting", "meetings.edit_meeting", "/staff/meetings/{live}/edit", as_="admin"),
    PageState("poster", "meetings.poster", "/staff/meetings/{live}/poster", as_="admin"),
    PageState("meeting pack", "exports.pack", "/staff/meetings/{closed}/pack", as_="admin"),
    PageState("meeting pack (live meeting, leader)", "exports.pack", "/staff/meetings/{live}/pack", as_="leader"),
    PageState("series list", "series.index", "/staff/series", as_="admin"),
    PageState("series", "series.show", "/staff/series/{series_id}", as_="admin"),
    PageState("new series", "series.new", "/staff/series/new", as_="admin"),
    PageState(
        "new series refused", "series.new", "/staff/series/new", as_="admin", prepare=_submit_empty("Create series")
    ),
    PageState("edit series", "series.edit", "/staff/series/{series_id}/edit", as_="admin"),
    PageState("new meeting", "meetings.new_meeting", "/staff/series/{series_id}/meetings/new", as_="admin"),
    PageState("action list", "actions.index", "/staff/series/{series_id}/actions", as_="leader"),
    PageState("new action", "actions.new", "/staff/series/{series_id}/actions/new", as_="leader"),
    PageState("action", "actions.show", "/staff/actions/{action_id}", as_="leader"),
    PageState("impact across meetings", "impact.dashboard", "/series/{series_id}/impact", as_="admin"),
    PageState("impact across meetings (leader)", "impact.dashboard", "/series/{series_id}/impact", as_="leader"),
    PageState("area baseline", "impact.baseline", "/series/{series_id}/impact/baseline", as_="admin"),
    PageState("staff accounts", "auth.users", "/staff/users", as_="admin"),
    PageState("add a member of staff", "auth.new_user", "/staff/users/new", as_="admin"),
    PageState(
        "add a member of staff refused",
        "auth.new_user",
        "/staff/users/new",
        as_="admin",
        prepare=_submit_empty("Add and get a one-time password"),
    ),
    PageState(
        "a new leader's one-time password", "auth.new_user", "/staff/users/new", as_="admin", prepare=_add_a_leader
    ),
    PageState("a staff account", "auth.show_user", "/staff/users/{leader_id}", as_="admin"),
    PageState("audit trail", "audit.index", "/staff/audit", as_="admin"),
    PageState("survey results", "surveys.results", "/staff/surveys/{survey_id}", as_="admin"),
]

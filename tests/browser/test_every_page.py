"""axe-core on every page, in every state of page_states.py: no violation of WCAG 2.2 A/AA or axe's best practice.

Attendee pages at phone size, the rest at desktop size; staff pages logged in as the role that
uses them. Each test walks its states and fails at the end with each page's rule ids, so a run
shows everything that is wrong at once. The public's pages are swept again in every shipped
language (Polish, Arabic and Urdu, the last two right to left).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from babel.support import Translations
from sqlalchemy import select

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    axe,
    axe_report,
    console_errors,
    demo_world,
    skip_or_fail,
    snap,
    wait_live,
    watch_console,
)
from tests.browser.page_states import PAGE_STATES, PageState
from ysdw_live.i18n import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, available_languages, text_direction

pytestmark = pytest.mark.browser

# axe-core's best-practice rules on top of WCAG (landmarks, one h1, heading order, regions).
SWEEP_TAGS_EXTRA = ("best-practice",)


@pytest.fixture(scope="module")
def world(live_server) -> dict[str, Any]:
    """The demo, plus an open poll on the projector and an open survey: every page has something to show."""
    world = demo_world(live_server)
    # A meeting of its own for the poll, the survey and the kiosk: the demo's figures stay as the
    # impact dashboard's test expects them (a survey answered here would count in the demo's year).
    poll_meeting = live_server.live_meeting(title="Poll meeting")["code"]
    opened = live_server.api("POST", f"/meetings/{poll_meeting}/surveys", json={"template": "trust_confidence"})
    assert opened.status_code == 201, opened.text
    poll = live_server.api(
        "POST",
        f"/meetings/{poll_meeting}/polls",
        json={"kind": "single", "question": "Do you feel safe after dark?", "options": ["Yes", "Mostly", "No"]},
    ).json()
    live_server.api("PATCH", f"/polls/{poll['id']}", json={"status": "open"}).raise_for_status()
    world["poll_meeting"] = world["other"] = poll_meeting
    world["poll_id"] = poll["id"]
    world["users"] = {role: live_server.user(role) for role in ("admin", "leader")}
    from ysdw_live.auth.models import User

    with live_server.db() as db:
        world["leader_id"] = db.scalar(select(User.id).where(User.email == world["users"]["leader"]))
    return world


def _context_for(browser: Any, live_server: Any, state: PageState) -> Any:
    """A fresh browser context the size of whoever looks at ``state``."""
    if state.as_ == "kiosk":
        return browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768}, has_touch=True)
    if state.as_ == "phone":
        return browser.new_context(
            base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1
        )
    return browser.new_context(base_url=live_server.url, viewport=DESKTOP)


def _show_on_projector(live_server: Any, world: dict[str, Any], path: str) -> str:
    """Put the projector in the mode the path asks for (``?mode=…``) and return the path without it."""
    base, _, query = path.partition("?")
    params = dict(parse_qsl(query))
    mode = params.pop("mode", None)
    if mode:
        code = base.rsplit("/", 1)[1]
        body: dict[str, Any] = {"mode": mode}
        if mode == "poll":
            body["poll_id"] = world["poll_id"]
        live_server.api("PATCH", f"/meetings/{code}/projector", json=body).raise_for_status()
    return f"{base}?{urlencode(params)}" if params else base


# The sweep in two halves, so that two test workers can share it.
GROUPS = {"room": ("visitor", "phone", "kiosk", "projector"), "staff": ("admin", "leader")}
# Each shipped language's sweep: the pages the public sees (attendee, survey, kiosk, public, projector).
TRANSLATED = ("visitor", "phone", "kiosk", "projector")
# Right to left is where a layout breaks: Arabic gets every state of the public's pages. The other
# languages get the attendee's own pages as they open (the meeting, each survey page), where their
# longer words meet a phone's width; the rest of their pages share those templates and the English
# and Arabic sweeps check them, which keeps the suite's time down.
EVERY_STATE_IN = {"ar"}
TRANSLATIONS = Path(__file__).resolve().parents[2] / "ysdw_live" / "translations"
SHIPPED = [lang for lang in available_languages(TRANSLATIONS) if lang != DEFAULT_LANGUAGE]


def _open_context(browser: Any, live_server: Any, world: dict[str, Any], key: str, lang: str | None) -> Any:
    """A browser context for ``key``'s pages, logged in (or made a kiosk) where it needs, in ``lang``."""
    context = _context_for(browser, live_server, PageState("", "", "", as_=key))
    context.set_default_timeout(10_000)
    if key in ("admin", "leader", "kiosk"):
        login_page = context.new_page()
        live_server.login(login_page, world["users"]["admin" if key == "kiosk" else key])
        if key == "kiosk":
            # The tablet at the door: an admin starts the kiosk on it, which ends their login there.
            login_page.goto(f"/staff/meetings/{world['poll_meeting']}")
            login_page.get_by_role("button", name="Open the kiosk on this device").click()
            login_page.wait_for_url(f"**/kiosk/{world['poll_meeting']}")
        login_page.close()
    if lang:
        # As the language switch leaves it (pages then ignore the browser's Accept-Language).
        context.add_cookies([{"name": LANGUAGE_COOKIE, "value": lang, "url": live_server.url}])
    return context


def _sweep(browser: Any, live_server: Any, world: dict[str, Any], states: list[PageState], lang: str | None = None):
    """Walk ``states``; return axe's violations, console errors and (translated) layout problems per page."""
    contexts: dict[str, Any] = {}
    problems: list[str] = []
    try:
        for state in states:
            key = state.as_
            if key not in contexts:
                contexts[key] = _open_context(browser, live_server, world, key, lang)
            page = contexts[key].new_page()
            watch_console(page)
            path = state.path.format(**world)
            if state.as_ == "projector":
                path = _show_on_projector(live_server, world, path)
            if state.as_ == "phone" and path.startswith("/j/"):
                # A participant of the meeting: join first, as the Join button would.
                code = path.split("/")[2]
                page.goto(f"/j/{code}")
            page.goto(path)
            if state.live:
                wait_live(page)
            if state.prepare is not None:
                try:
                    state.prepare(page, world)
                except Exception as error:  # reported with the state's name, then the sweep goes on
                    shot = snap(page, f"sweep-{lang or 'en'}-{state.name}")
                    problems.append(f"{state.name} ({page.url}): could not reach this state: {error} (see {shot})")
                    page.close()
                    continue
            where = f"{state.name} ({page.url})"
            violations = axe(page, tags_extra=SWEEP_TAGS_EXTRA)
            if violations:
                problems.append(f"{where}: {', '.join(v['id'] for v in violations)}\n{axe_report(violations)}")
            errors = [error for error in console_errors(page) if not (state.refused and error.startswith("4"))]
            if errors:
                problems.append(f"{where}: console errors {errors}")
            if lang:
                problems.extend(f"{where}: {problem}" for problem in _language_problems(page, lang, state))
            page.close()
    finally:
        for context in contexts.values():
            context.close()
    return problems


def _language_problems(page: Any, lang: str, state: PageState) -> list[str]:
    """The page is in ``lang`` with its direction, and the translation's longer words fit a phone."""
    found = page.evaluate(
        """() => ({lang: document.documentElement.lang, dir: document.documentElement.dir,
                   wide: document.documentElement.scrollWidth - document.documentElement.clientWidth})"""
    )
    problems = []
    if found["lang"] != lang or found["dir"] != text_direction(lang):
        problems.append(f"<html lang={found['lang']!r} dir={found['dir']!r}>, not {lang!r} {text_direction(lang)!r}")
    if state.as_ == "phone" and found["wide"] > 0:
        problems.append(f"scrolls sideways by {found['wide']}px at phone width")
    return problems


@pytest.mark.parametrize("group", GROUPS)
def test_every_page_passes_axe(browser, live_server, world, group):
    """Every state of the group: no axe violation, no console error; fail listing them per page."""
    states = [state for state in PAGE_STATES if state.as_ in GROUPS[group]]
    problems = _sweep(browser, live_server, world, states)
    assert not problems, f"{len(problems)} page state(s) with problems:\n\n" + "\n\n".join(problems)


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_public_page_passes_axe_in_each_language(browser, live_server, world, lang):
    """The public's pages in each shipped language: axe, lang/dir on <html>, and no sideways scroll on phones."""
    if not (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").is_file():
        skip_or_fail(f"{lang}'s catalogue is not compiled: run `make setup`")
    catalogue = Translations.load(str(TRANSLATIONS), [lang])
    states = [
        state
        for state in PAGE_STATES
        if state.as_ in TRANSLATED and (lang in EVERY_STATE_IN or (state.as_ == "phone" and not state.prepare))
    ]
    problems = _sweep(browser, live_server, {**world, "translate": catalogue.gettext}, states, lang)
    assert not problems, f"{lang}: {len(problems)} page state(s) with problems:\n\n" + "\n\n".join(problems)

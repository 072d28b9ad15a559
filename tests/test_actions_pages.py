"""Action pages: the leaders' stream, staff list and action page with forms, the public page, the partials."""

from __future__ import annotations

import re

import pytest
from flask import render_template

from tests.actions_support import START, add_concern, add_vote, counts
from tests.conftest import csrf_from, login
from ysdw_live.actions import services
from ysdw_live.actions.models import ActionStatus
from ysdw_live.actors import Actor
from ysdw_live.auth.models import Role
from ysdw_live.meetings import services as meeting_services
from ysdw_live.meetings.models import hash_device_token

SECRET = "SECRET-NOTE-never-public-5521"


@pytest.fixture
def leader(db, factory):
    """A leader account."""
    return factory.user(Role.leader)


@pytest.fixture
def stream_world(db, factory, leader):
    """A live meeting with concerns in every moderation state, one already linked to an action."""
    meeting = factory.meeting(status="live")
    roads, youth = meeting.series.topics
    concerns = {
        "top": add_concern(db, meeting, "Stop and search of <b>young</b> men in town", topic=roads, votes=7),
        "youth": add_concern(db, meeting, "Nowhere for teenagers to go after 6pm", topic=youth, votes=2),
        "loose": add_concern(db, meeting, "Phone line 101 takes too long", votes=1),
        "pending": add_concern(db, meeting, "PENDING-TEXT not yet approved", status="pending"),
        "dismissed": add_concern(db, meeting, "DISMISSED-TEXT", status="dismissed"),
    }
    action = services.create_action(
        db,
        Actor(user=leader),
        meeting.series_id,
        {"you_said": "Long waits on 101", "concern_ids": [concerns["loose"].id]},
    )
    db.commit()
    return meeting, concerns, action


def text_of(response) -> str:
    """Return the response body as text."""
    return response.get_data(as_text=True)


# --- leaders' stream --------------------------------------------------------------------------


def test_lead_stream_shows_approved_concerns_by_topic_with_checkboxes(client, stream_world, leader):
    """Approved concerns appear under their topic with votes and a checkbox; hidden ones never appear."""
    meeting, concerns, action = stream_world
    login(client, leader.email)
    html = text_of(client.get(f"/lead/{meeting.code}"))
    assert "Stop and search of &lt;b&gt;young&lt;/b&gt; men" in html
    assert "PENDING-TEXT" not in html and "DISMISSED-TEXT" not in html
    assert html.index('id="topic-') < html.index("Stop and search of")
    assert (
        html.index(">Stop and search</bdi></h2>") < html.index("Stop and search of") < html.index(">Youth</bdi></h2>")
    )
    assert f'name="concern_ids" value="{concerns["top"].id}"' in html
    assert "7 votes" in html and "1 vote<" in html
    assert f'href="/staff/actions/{action.id}"' in html
    assert 'action="/staff/series/' in html and 'method="get"' in html
    assert "js/lead.js" in html


@pytest.mark.parametrize("role", [Role.admin, Role.facilitator, Role.leader])
def test_lead_stream_is_open_to_every_staff_role(client, db, factory, stream_world, role):
    """Leaders, facilitators and admins may open the stream."""
    meeting, _concerns, _action = stream_world
    login(client, factory.user(role).email)
    assert client.get(f"/lead/{meeting.code.lower()}", follow_redirects=True).status_code == 200


def test_lead_stream_needs_a_staff_login(client, stream_world):
    """Visitors and attendees (participant cookie only) are sent to the login page."""
    meeting, _concerns, _action = stream_world
    client.post(f"/api/v1/meetings/{meeting.code}/participants")
    response = client.get(f"/lead/{meeting.code}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_pushing_two_concerns_into_one_action_without_javascript(client, db, stream_world, leader):
    """Tick two concerns, "Add to the action list", edit the prefilled You said, save: one action links both."""
    meeting, concerns, _action = stream_world
    login(client, leader.email)
    ids = [concerns["top"].id, concerns["youth"].id]
    form = client.get(
        f"/staff/series/{meeting.series_id}/actions/new",
        query_string={"meeting": meeting.code, "next": f"/lead/{meeting.code}", "concern_ids": ids},
    )
    html = text_of(form)
    assert form.status_code == 200
    prefilled = re.search(r'<textarea[^>]*name="you_said"[^>]*>([^<]*)</textarea>', html)
    # A short summary to check, not the concerns' texts run together; it goes public only once confirmed.
    assert prefilled and prefilled.group(1).startswith("People raised 2 concerns")
    assert "\n" not in prefilled.group(1)
    assert "can be made public" in html
    response = client.post(
        f"/staff/series/{meeting.series_id}/actions/new",
        data={
            "csrf_token": csrf_from(html),
            "meeting": meeting.code,
            "next": f"/lead/{meeting.code}",
            "concern_ids": [str(i) for i in ids],
            "you_said": "Young people feel targeted and have nowhere to go",
            "we_did": "",
            "owner": "Neighbourhood team",
            "status": "agreed",
            "progress": "",
            "due_date-day": "1",
            "due_date-month": "7",
            "due_date-year": "2026",
            "private_notes": SECRET,
        },
    )
    assert response.status_code == 400 and 'href="#confirm_public"' in text_of(response)
    response = client.post(
        f"/staff/series/{meeting.series_id}/actions/new",
        data={
            "csrf_token": csrf_from(html),
            "meeting": meeting.code,
            "next": f"/lead/{meeting.code}",
            "concern_ids": [str(i) for i in ids],
            "you_said": "Young people feel targeted and have nowhere to go",
            "confirm_public": "yes",
            "we_did": "",
            "owner": "Neighbourhood team",
            "status": "agreed",
            "progress": "",
            "due_date-day": "1",
            "due_date-month": "7",
            "due_date-year": "2026",
            "private_notes": SECRET,
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/lead/{meeting.code}")
    created = [a for a in services.public_actions(db, meeting.series_id) if a.owner == "Neighbourhood team"]
    assert len(created) == 1
    assert sorted(c.id for c in created[0].concerns) == sorted(ids)
    assert created[0].raised_at_meeting_id == meeting.id and created[0].status is ActionStatus.agreed
    assert created[0].due_date.isoformat() == "2026-07-01"
    db.commit()
    html = text_of(client.get(f"/lead/{meeting.code}"))
    assert html.count(f'href="/staff/actions/{created[0].id}"') == 2
    assert "Action added to the list" in html


def test_add_without_a_selection_goes_back_with_a_message(client, stream_world, leader):
    """Pressing the button with nothing ticked explains what to do."""
    meeting, _concerns, _action = stream_world
    login(client, leader.email)
    response = client.get(
        f"/staff/series/{meeting.series_id}/actions/new",
        query_string={"meeting": meeting.code, "next": f"/lead/{meeting.code}"},
        follow_redirects=True,
    )
    assert "Select at least one concern" in text_of(response)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"progress": "lots"}, "progress"),
        ({"progress": "140"}, "progress"),
        ({"due_date-day": "31", "due_date-month": "2", "due_date-year": "2026"}, "due_date"),
        ({"due_date-day": "31", "due_date-month": "", "due_date-year": "2026"}, "due_date"),
        ({"status": "not_taken_forward"}, "we_did"),
        ({"you_said": ""}, "you_said"),
        ({"status": "bogus"}, "status"),
    ],
)
def test_create_form_errors_show_a_summary_and_save_nothing(client, db, stream_world, leader, changes, field):
    """Bad input re-shows the form with an error summary linking to the field; nothing is saved."""
    meeting, _concerns, _action = stream_world
    login(client, leader.email)
    url = f"/staff/series/{meeting.series_id}/actions/new"
    data = {
        "csrf_token": csrf_from(text_of(client.get(url))),
        "you_said": "Something",
        "we_did": "",
        "owner": "",
        "status": "under_consideration",
        "progress": "",
        "due_date": "",
        "private_notes": "",
        **changes,
    }
    before = counts(db)
    response = client.post(url, data=data)
    html = text_of(response)
    assert response.status_code == 400
    assert 'class="error-summary"' in html and f'href="#{field}"' in html
    assert "<title>Error:" in html
    assert counts(db) == before


def test_forms_without_csrf_are_refused(client, db, stream_world, leader):
    """Every action form post needs the CSRF token."""
    meeting, _concerns, action = stream_world
    login(client, leader.email)
    before = counts(db)
    for url, data in [
        (f"/staff/series/{meeting.series_id}/actions/new", {"you_said": "x"}),
        (f"/staff/actions/{action.id}/edit", {"you_said": "x"}),
        (f"/staff/actions/{action.id}/updates", {"update_text": "x"}),
    ]:
        assert client.post(url, data=data).status_code == 403
    assert counts(db) == before


# --- staff list and action page ---------------------------------------------------------------


def test_staff_list_filters_with_a_get_form(client, db, stream_world, leader, time_machine):
    """The list filters by status, topic, owner and overdue; a bad filter shows an error summary."""
    time_machine.move_to(START, tick=False)  # "overdue" must not depend on the day the suite runs
    meeting, concerns, action = stream_world
    roads = meeting.series.topics[0]
    overdue = services.create_action(
        db,
        Actor(user=leader),
        meeting.series_id,
        {
            "you_said": "Overdue thing",
            "due_date": "2020-01-01",
            "owner": "Inspector Khan",
            "concern_ids": [concerns["top"].id],
        },
    )
    db.commit()
    login(client, leader.email)
    url = f"/staff/series/{meeting.series_id}/actions"
    html = text_of(client.get(url))
    assert "Long waits on 101" in html and "Overdue thing" in html and 'method="get"' in html
    assert "Overdue</strong>" in html
    assert "Long waits on 101" not in text_of(client.get(url, query_string={"overdue": "true"}))
    assert "Overdue thing" not in text_of(client.get(url, query_string={"status": "agreed"}))
    only_roads = text_of(client.get(url, query_string={"topic": roads.id}))
    assert "Overdue thing" in only_roads and "Long waits on 101" not in only_roads
    by_owner = text_of(client.get(url, query_string={"owner": "khan"}))
    assert "Overdue thing" in by_owner and "Long waits" not in by_owner
    bad = client.get(url, query_string={"status": "nonsense"})
    assert bad.status_code == 400 and 'href="#status"' in text_of(bad)
    assert f"/staff/actions/{overdue.id}" in html and f"/staff/actions/{action.id}" in html


def test_staff_pages_need_login(client, stream_world):
    """The list, the action page and the create form send visitors to log in."""
    meeting, _concerns, action = stream_world
    for url in (
        f"/staff/series/{meeting.series_id}/actions",
        f"/staff/actions/{action.id}",
        f"/staff/series/{meeting.series_id}/actions/new",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_action_page_edit_update_and_timeline(client, db, stream_world, leader):
    """Editing records the audit trail, an update joins the timeline newest first; errors show summaries."""
    _meeting, concerns, action = stream_world
    login(client, leader.email)
    page_url = f"/staff/actions/{action.id}"
    html = text_of(client.get(page_url))
    assert "Add a public update" in html and "Edit the action" in html and "Change history" in html
    token = csrf_from(html)

    edit = client.post(
        f"/staff/actions/{action.id}/edit",
        data={
            "csrf_token": token,
            "you_said": "Long waits on 101",
            "we_did": "We are adding call handlers.",
            "owner": "Contact centre",
            "status": "in_progress",
            "progress": "20",
            "due_date": "",
            "private_notes": SECRET,
            "concerns_shown": "1",
            "concern_ids": [str(concerns["loose"].id)],
        },
    )
    assert edit.status_code == 302
    first = client.post(
        f"/staff/actions/{action.id}/updates",
        data={
            "csrf_token": token,
            "update_text": "Five new call handlers trained.",
            "update_status": "",
            "update_progress": "60",
        },
    )
    assert first.status_code == 302
    second = client.post(
        f"/staff/actions/{action.id}/updates",
        data={
            "csrf_token": token,
            "update_text": "Average wait now under 5 minutes.",
            "update_status": "completed",
            "update_progress": "",
        },
    )
    assert second.status_code == 302

    html = text_of(client.get(page_url))
    assert html.index("Average wait now under 5 minutes.") < html.index("Five new call handlers trained.")
    history = html[html.index("Change history") :]
    for label in ("Owner", "We will / we did", "Status", "Progress", "Private notes"):
        assert f"<td>{label}</td>" in history
    assert "Contact centre" in history and "In progress" in history and "Completed" in history
    assert SECRET in html  # staff see their notes on the staff page

    bad = client.post(
        f"/staff/actions/{action.id}/updates",
        data={"csrf_token": token, "update_text": "", "update_status": "", "update_progress": "500"},
    )
    assert bad.status_code == 400 and 'href="#update_text"' in text_of(bad)
    bad_progress = client.post(
        f"/staff/actions/{action.id}/updates",
        data={"csrf_token": token, "update_text": "ok", "update_status": "", "update_progress": "500"},
    )
    assert bad_progress.status_code == 400 and 'href="#update_progress"' in text_of(bad_progress)
    bad_edit = client.post(
        f"/staff/actions/{action.id}/edit",
        data={
            "csrf_token": token,
            "you_said": "x",
            "we_did": "",
            "owner": "",
            "status": "referred",
            "progress": "100",
            "due_date": "",
            "private_notes": "",
        },
    )
    assert bad_edit.status_code == 400 and 'href="#we_did"' in text_of(bad_edit)
    db.expire_all()
    stored = services.get_action(db, action.id)
    # Two updates from the form, one the edit added when it moved the status and progress.
    assert (stored.status, stored.progress, len(stored.updates)) == (ActionStatus.completed, 100, 3)
    assert stored.updates[-1].text == "Status changed from Under consideration to In progress. Progress: 20% done."
    db.commit()


def test_unticking_a_linked_concern_unlinks_it(client, db, stream_world, leader):
    """The edit form lists linked concerns; unticking all of them removes the links."""
    _meeting, _concerns, action = stream_world
    login(client, leader.email)
    token = csrf_from(text_of(client.get(f"/staff/actions/{action.id}")))
    response = client.post(
        f"/staff/actions/{action.id}/edit",
        data={
            "csrf_token": token,
            "you_said": "Long waits on 101",
            "we_did": "",
            "owner": "",
            "status": "under_consideration",
            "progress": "0",
            "due_date": "",
            "private_notes": "",
            "concerns_shown": "1",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert services.get_action(db, action.id).concerns == []
    db.commit()


def test_staff_pages_link_the_action_list_and_the_stream(client, factory, stream_world):
    """The series page links its action list; the meeting page links the leaders' stream."""
    meeting, _concerns, _action = stream_world
    login(client, factory.user(Role.facilitator).email)
    assert f"/staff/series/{meeting.series_id}/actions" in text_of(client.get(f"/staff/series/{meeting.series_id}"))
    assert f"/lead/{meeting.code}" in text_of(client.get(f"/staff/meetings/{meeting.code}"))


# --- the public page --------------------------------------------------------------------------


@pytest.fixture
def public_world(db, factory, leader):
    """A series with two topics and actions in several states, with private notes and named authors."""
    meeting = factory.meeting(status="live")
    roads, youth = meeting.series.topics
    named = add_concern(db, meeting, "Racing cars at night", topic=roads, author_name="Zebedee Quartermain")
    youth_concern = add_concern(db, meeting, "Youth club shut", topic=youth)
    actor = Actor(user=leader)
    racing = services.create_action(
        db,
        actor,
        meeting.series_id,
        {
            "you_said": "Cars race on the ring road at night",
            "we_did": "Average speed cameras requested.",
            "owner": "Roads policing unit",
            "status": "in_progress",
            "progress": 40,
            "due_date": "2026-08-31",
            "concern_ids": [named.id],
            "private_notes": SECRET,
        },
    )
    services.add_update(db, actor, racing.id, {"text": "OLDER-UPDATE: survey done."})
    services.add_update(db, actor, racing.id, {"text": "NEWER-UPDATE: cameras ordered.", "progress": 55})
    club = services.create_action(
        db, actor, meeting.series_id, {"you_said": "Young people have nowhere to go", "concern_ids": [youth_concern.id]}
    )
    services.add_update(
        db,
        actor,
        club.id,
        {"text": "The council will not reopen it; we fund a mobile youth bus.", "status": "not_taken_forward"},
    )
    services.create_action(
        db, actor, meeting.series_id, {"you_said": "Untopical action", "status": "completed", "private_notes": SECRET}
    )
    db.commit()
    return meeting, racing, club


def test_public_page_shows_the_public_record_without_login(anon_client, public_world, leader):
    """You said / We did, status in words and colour class, progress, dates, updates latest first, by topic."""
    meeting, _racing, _club = public_world
    response = anon_client.get(f"/series/{meeting.series_id}/actions")
    html = text_of(response)
    assert response.status_code == 200
    assert re.search(r'<html lang="\w+" dir="(ltr|rtl)">', html)
    assert "Cars race on the ring road at night" in html and "Average speed cameras requested." in html
    assert "Roads policing unit" in html and "31 August 2026" in html
    assert 'class="action-status action-status--in_progress">In progress<' in html
    assert 'class="action-status action-status--not_taken_forward">Not taken forward<' in html
    assert '<progress class="action-progress__bar" max="100" value="55"' in html and "55% done" in html
    assert html.index("NEWER-UPDATE") < html.index("OLDER-UPDATE")
    assert "we fund a mobile youth bus" in html
    assert html.index(">Stop and search</bdi></h2>") < html.index("ring road") < html.index(">Youth</bdi></h2>")
    assert html.index(">Youth</bdi></h2>") < html.index("nowhere to go") < html.index(">Other</h2>")
    assert html.index(">Other</h2>") < html.index("Untopical action")
    assert "We will" in html and "We did" in html


def test_public_page_never_shows_private_notes_or_participant_data(anon_client, client, public_world, leader):
    """No private notes, no author names, no concern text, no staff identities; even for logged-in staff."""
    meeting, _racing, _club = public_world
    anonymous = text_of(anon_client.get(f"/series/{meeting.series_id}/actions"))
    assert leader.email not in anonymous
    login(client, leader.email)
    as_staff = text_of(client.get(f"/series/{meeting.series_id}/actions"))
    for html in (anonymous, as_staff):
        content = html[html.index('<main id="main"') :]
        assert SECRET not in html
        assert "Zebedee" not in html and "Quartermain" not in html
        assert "Racing cars at night" not in html
        assert leader.email not in content


def test_public_page_is_printable_and_404s_for_unknown_series(anon_client, app):
    """The stylesheet carries print rules for the cards; an unknown series is a 404 page."""
    css = app.static_folder + "/css/app.css"
    with open(css, encoding="utf-8") as handle:
        stylesheet = handle.read()
    section = stylesheet[stylesheet.index("You Said, We Did: actions") :]
    assert "@media print" in section and ".action-card" in section.split("@media print")[1]
    assert anon_client.get("/series/987654/actions").status_code == 404


def test_public_page_with_no_actions_says_so(anon_client, factory):
    """A new series explains that actions will appear."""
    series = factory.series()
    assert "There are no actions yet" in text_of(anon_client.get(f"/series/{series.id}/actions"))


# --- partials the attendee page and projector include ----------------------------------------


def test_report_back_leaves_out_what_was_raised_at_the_same_meeting(db, public_world):
    """The count of "what happened to N things raised before" leaves out actions raised at this meeting."""
    meeting, racing, club = public_world
    report = services.report_back(db, meeting)
    assert [action.you_said for action in report] == ["Untopical action"]  # raised at no meeting
    assert racing not in report and club not in report
    db.commit()


def test_report_back_partials_render_the_selected_actions(app, db, factory, public_world):
    """The attendee list and the projector slide show You said / We did / status, never notes."""
    first, _racing, _club = public_world
    meeting = factory.meeting(first.series, status="live", title="The next meeting")
    report = services.report_back(db, meeting)
    with app.test_request_context():
        listing = render_template("attendee/_report_back.html", report_back_actions=report)
        slide = render_template("projector/_report_back_slide.html", action=report[0], index=1, total=len(report))
    db.commit()
    assert listing.count('class="action-card ') == 3
    assert "NEWER-UPDATE: cameras ordered." in listing and "OLDER-UPDATE" not in listing
    assert SECRET not in listing and SECRET not in slide
    assert "1 of 3" in slide and "You said" in slide and report[0].you_said in slide
    assert "Completed" in slide and "We did" in slide


def test_follow_ups_partial_and_the_attendee_page_close_the_loop(app, client, db, factory, leader):
    """A device that raised a concern at meeting 1 sees what happened to it when it joins meeting 2."""
    series = factory.series()
    first = factory.meeting(series, title="Autumn meeting", status="live")
    client.post(f"/api/v1/meetings/{first.code}/participants")
    token = client.get_cookie("ysdw_participant").value
    participant = meeting_services.find_participant(db, first, token)
    assert participant is not None and participant.device_hash == hash_device_token(token)
    mine = add_concern(db, first, "Burglaries on Newland Avenue", participant=participant)
    voted = add_concern(db, first, "Parking outside the school")
    add_vote(db, voted, participant)
    services.create_action(
        db,
        Actor(user=leader),
        series.id,
        {
            "you_said": "Burglaries",
            "we_did": "Extra patrols every evening.",
            "status": "in_progress",
            "progress": 50,
            "concern_ids": [mine.id],
            "private_notes": SECRET,
        },
    )
    services.create_action(db, Actor(user=leader), series.id, {"you_said": "School parking", "concern_ids": [voted.id]})
    meeting_services.update_meeting(db, Actor(user=factory.user(Role.facilitator)), first.code, {"status": "closed"})
    second = factory.meeting(series, title="Winter meeting", status="live")
    second_participant, _ = meeting_services.join(db, second, token)
    follow_ups = services.follow_ups_for_device(db, second_participant)
    with app.test_request_context():
        html = render_template("attendee/_follow_ups.html", follow_ups=follow_ups)
    db.commit()  # end the test session's read before the app's request (SQLite write lock)
    assert "You raised at <bdi>Autumn meeting</bdi>" in html and "You supported at <bdi>Autumn meeting</bdi>" in html
    assert "Extra patrols every evening." in html and "50% done" in html
    assert SECRET not in html

    page = text_of(client.get(f"/j/{second.code}"))
    assert "Burglaries on Newland Avenue" in page and "Extra patrols every evening." in page
    assert SECRET not in page
    stranger = app.test_client()
    assert "Burglaries on Newland Avenue" not in text_of(stranger.get(f"/j/{second.code}"))

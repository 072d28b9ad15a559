"""Survey use cases: create from a template or questions, open and close, respond once, results, export, purge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ysdw_live import validation
from ysdw_live.actors import Actor
from ysdw_live.audit.services import record as audit
from ysdw_live.clock import Clock
from ysdw_live.concerns.models import TEXT_MAX as CONCERN_TEXT_MAX
from ysdw_live.concerns.services import carry_into
from ysdw_live.errors import Conflict, NotAuthenticated, NotFound, ValidationError
from ysdw_live.i18n import gettext, ngettext, translated
from ysdw_live.meetings.models import Meeting, MeetingStatus, Participant
from ysdw_live.meetings.services import commit_with_version, meetings_of_series
from ysdw_live.realtime.publisher import publisher
from ysdw_live.surveys.content import EQUALITY, EQUALITY_BY_KEY, PREFER_NOT_TO_SAY, TEMPLATES
from ysdw_live.surveys.models import (
    DAYS_DEFAULT,
    DAYS_MAX,
    LIKERT_SCALE,
    OPTION_MAX,
    OPTIONS_MAX,
    PROMPT_MAX,
    QUESTIONS_MAX,
    SUPPRESS_UNDER,
    TITLE_MAX,
    EqualityAnswers,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyDraft,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    percent,
)
from ysdw_live.surveys.serializers import survey_to_dict

CHOICE_KINDS = frozenset({QuestionKind.single, QuestionKind.multiple, QuestionKind.likert})


# ---------------------------------------------------------------------------------------------
# Finding surveys
# ---------------------------------------------------------------------------------------------


def _load(db: Session) -> Any:
    """A select of surveys with their questions and options loaded."""
    return select(Survey).options(selectinload(Survey.questions).selectinload(SurveyQuestion.options))


def get_survey(db: Session, survey_id: int) -> Survey:
    """Return the survey with ``survey_id`` or raise NotFound."""
    survey = db.scalar(_load(db).where(Survey.id == survey_id))
    if survey is None:
        raise NotFound(gettext("There is no survey with that id."), code="survey_not_found")
    return survey


def survey_of_meeting(db: Session, meeting: Meeting) -> Survey | None:
    """Return the meeting's survey, if it has one."""
    return db.scalar(_load(db).where(Survey.meeting_id == meeting.id))


def survey_for_caller(db: Session, actor: Actor, survey_id: int) -> Survey:
    """Return a survey to staff, or to a participant of its meeting; anyone else is told it does not exist.

    A survey names its meeting's code, and a code is the key to a meeting: a guessed id reveals nothing.
    """
    survey = get_survey(db, survey_id)
    if actor.is_staff:
        return survey
    if actor.participant is None or actor.participant.meeting_id != survey.meeting_id:
        raise NotFound(gettext("There is no survey with that id."), code="survey_not_found")
    return survey


def has_responded(db: Session, survey: Survey, participant: Participant | None) -> bool:
    """Whether ``participant`` has answered ``survey``."""
    if participant is None:
        return False
    found = select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.participant_id == participant.id
    )
    return db.scalar(found) is not None


def response_count(db: Session, survey: Survey) -> int:
    """How many responses the survey has had (those deleted by retention included)."""
    kept = db.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)) or 0
    return int(kept) + survey.purged_responses


# ---------------------------------------------------------------------------------------------
# Creating and changing surveys (admin, facilitator)
# ---------------------------------------------------------------------------------------------


def _clean_days(value: Any) -> int:
    """Return how many days a survey stays open (default 14)."""
    if value is None:
        return DAYS_DEFAULT
    return validation.integer(value, "days", minimum=1, maximum=DAYS_MAX, label="Days open")


def _questions_from(payload: Any) -> list[SurveyQuestion]:
    """Build questions from the API's ``questions`` list (custom survey)."""
    if not isinstance(payload, list) or not payload:
        raise ValidationError(gettext("Add at least one question."), field="questions", code="required")
    if len(payload) > QUESTIONS_MAX:
        raise ValidationError(
            ngettext(
                "A survey has at most %(num)d question.", "A survey has at most %(num)d questions.", QUESTIONS_MAX
            ),
            field="questions",
            code="too_many",
        )
    questions = []
    for position, item in enumerate(payload):
        if not isinstance(item, Mapping):
            raise ValidationError(gettext("Each question must be an object."), field="questions")
        kind = validation.choice(item.get("kind"), "questions", QuestionKind, label="Question kind")
        prompt = validation.text(item.get("prompt"), "questions", max_length=PROMPT_MAX, label="Question")
        required = bool(item.get("required", False))
        labels = item.get("options") or []
        if not isinstance(labels, list):
            raise ValidationError(gettext("Options must be a list of labels."), field="questions")
        options = [validation.text(label, "questions", max_length=OPTION_MAX, label="Option") for label in labels]
        if kind is QuestionKind.likert and not options:
            options = list(LIKERT_SCALE)
        if kind in CHOICE_KINDS and len(options) < 2:
            raise ValidationError(
                gettext("A choice question needs at least two options."), field="questions", code="too_few"
            )
        if kind not in CHOICE_KINDS and options:
            raise ValidationError(gettext("A %(kind)s question has no options.", kind=kind.value), field="questions")
        if len(options) > OPTIONS_MAX or len(set(options)) != len(options):
            raise ValidationError(
                ngettext(
                    "Give at most %(num)d option, each different.",
                    "Give at most %(num)d options, each different.",
                    OPTIONS_MAX,
                ),
                field="questions",
                code="bad_options",
            )
        scale_max = None
        if kind is QuestionKind.rating:
            scale_max = item.get("scale_max") or 5
            if scale_max not in (5, 10) or isinstance(scale_max, bool):
                raise ValidationError(
                    gettext("A rating goes from 1 to 5 or 1 to 10."), field="questions", code="out_of_range"
                )
        question = SurveyQuestion(position=position, kind=kind, prompt=prompt, required=required, scale_max=scale_max)
        question.options = [SurveyOption(position=i, label=label) for i, label in enumerate(options)]
        questions.append(question)
    return questions


def template_questions(name: str) -> tuple[str, list[SurveyQuestion]]:
    """Return the title and fresh questions of the shipped template ``name``."""
    if name not in TEMPLATES:
        raise ValidationError(
            gettext("There is no survey template with that name."), field="template", code="unknown_template"
        )
    title, items = TEMPLATES[name]
    questions = []
    for position, item in enumerate(items):
        question = SurveyQuestion(
            position=position,
            kind=item.kind,
            prompt=item.prompt,
            hint=item.hint,
            required=item.required,
            key=item.key,
            scale_max=None,
        )
        question.options = [SurveyOption(position=i, label=label) for i, label in enumerate(item.options)]
        questions.append(question)
    return title, questions


def create_survey(db: Session, actor: Actor, meeting: Meeting, payload: Mapping[str, Any], *, clock: Clock) -> Survey:
    """Create the meeting's survey (open at once, for ``days`` days) from a template or from questions."""
    days = _clean_days(payload.get("days"))
    template = payload.get("template")
    if template is not None:
        if payload.get("questions") is not None:
            raise ValidationError(gettext("Send a template or questions, not both."), field="questions")
        title, questions = template_questions(str(template))
        if payload.get("title") is not None:
            title = validation.text(
                payload["title"], "title", max_length=TITLE_MAX, label="Title", missing="Enter a title for the survey"
            )
    else:
        title = validation.text(
            payload.get("title"), "title", max_length=TITLE_MAX, label="Title", missing="Enter a title for the survey"
        )
        questions = _questions_from(payload.get("questions"))
    user = actor.require_meeting_manager()
    if survey_of_meeting(db, meeting) is not None:
        raise Conflict(gettext("This meeting already has a survey."), code="survey_exists")
    now = clock.now()
    survey = Survey(
        meeting_id=meeting.id, title=title, template=str(template or ""), created_by=user.id, status=SurveyStatus.closed
    )
    survey.questions = questions
    survey.open(now, days)
    db.add(survey)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise Conflict(gettext("This meeting already has a survey."), code="survey_exists") from None
    audit(db, user, "survey.create", object_type="survey", object_id=survey.id, detail=f"meeting {meeting.code}")
    _announce(db, survey, now)
    return survey


def _announce(db: Session, survey: Survey, now: datetime) -> None:
    """Commit a survey's change as a change of its meeting (a new version), then tell everyone in the meeting.

    Phones show or hide the survey's link and the projector draws its QR code without a reload.
    """
    meeting = survey.meeting
    meeting.bump_version()
    commit_with_version(db, meeting)
    publisher().survey_updated(meeting, survey_to_dict(survey, now))


def update_survey(db: Session, actor: Actor, survey_id: int, payload: Mapping[str, Any], *, clock: Clock) -> Survey:
    """Open or close a survey, rename it, or replace its questions (only while nobody has answered)."""
    status = payload.get("status")
    clean_status = None if status is None else validation.choice(status, "status", SurveyStatus, label="Status")
    days = _clean_days(payload.get("days"))
    title = None
    if payload.get("title") is not None:
        title = validation.text(payload["title"], "title", max_length=TITLE_MAX, label="Title")
    questions = None if payload.get("questions") is None else _questions_from(payload["questions"])
    user = actor.require_meeting_manager()
    survey = get_survey(db, survey_id)
    now = clock.now()
    changes = []
    if questions is not None:
        if response_count(db, survey):
            raise Conflict(
                gettext("Someone has answered this survey: its questions are frozen."),
                code="survey_frozen",
                field="questions",
            )
        survey.template = ""
        survey.questions = questions
        changes.append("questions")
    if title is not None and title != survey.title:
        survey.title = title
        changes.append("title")
    if clean_status is SurveyStatus.open:
        survey.open(now, days)
        changes.append("opened")
    elif clean_status is SurveyStatus.closed:
        survey.close(now)
        changes.append("closed")
    if not changes:
        db.rollback()
        return get_survey(db, survey.id)
    verb = {"opened": "survey.open", "closed": "survey.close"}.get(changes[-1], "survey.update")
    audit(db, user, verb, object_type="survey", object_id=survey.id, detail=", ".join(changes))
    _announce(db, survey, now)
    return get_survey(db, survey.id)


# ---------------------------------------------------------------------------------------------
# Responding (participants)
# ---------------------------------------------------------------------------------------------


def answer_field(question: SurveyQuestion) -> str:
    """The error field of a question's answer (the page's input has the same id)."""
    return f"q{question.id}"


def check_answer(question: SurveyQuestion, value: Any) -> Any:
    """Return one answer as stored, or None when left out; raise when required and missing, or bad."""
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        if question.required:
            raise ValidationError(
                gettext("Answer this question: it is required."), field=answer_field(question), code="required"
            )
        return None
    return question.field.check(question, value, answer_field(question))


def check_answers(survey: Survey, answers: Any) -> dict[int, Any]:
    """Return {question id: answer} for every answered question; raise on the first problem."""
    if not isinstance(answers, Mapping):
        raise ValidationError(gettext("Answers must be an object keyed by question id."), field="answers")
    by_id = {str(question.id): question for question in survey.questions}
    unknown = [key for key in answers if key not in by_id]
    if unknown:
        raise ValidationError(
            gettext("This survey has no question with id %(ids)s.", ids=", ".join(sorted(unknown))),
            field="answers",
            code="unknown_question",
        )
    clean = {}
    for question in survey.questions:
        value = check_answer(question, answers.get(str(question.id)))
        if value is not None:
            clean[question.id] = value
    return clean


def equality_shown(key: str, answers: Mapping[str, str]) -> bool:
    """Whether an equality question is asked, given the earlier answers (follow-ups need their trigger)."""
    question = EQUALITY_BY_KEY[key]
    return not question.follows or answers.get(question.follows) in question.shown_when


def check_equality(payload: Any) -> dict[str, str]:
    """Return the equality monitoring answers that were given; every question is optional."""
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise ValidationError(gettext("Equality answers must be an object."), field="equality")
    unknown = sorted(key for key in payload if key not in EQUALITY_BY_KEY)
    if unknown:
        raise ValidationError(
            gettext("Unknown equality question: %(keys)s.", keys=", ".join(unknown)),
            field="equality",
            code="unknown_question",
        )
    clean: dict[str, str] = {}
    for question in EQUALITY:
        value = payload.get(question.key)
        if value is None or value == "":
            continue
        choices: tuple[str, ...] = question.choices
        if question.groups:
            group = clean.get(question.follows, "")
            choices = (*question.groups.get(group, ()), PREFER_NOT_TO_SAY)
        if not equality_shown(question.key, clean) or value not in choices:
            raise ValidationError(
                gettext("That is not one of the answers to “%(question)s”.", question=translated(question.label)),
                field=question.key,
                code="unknown_option",
            )
        clean[question.key] = value
    return clean


def submit_response(
    db: Session,
    actor: Actor,
    survey_id: int,
    answers: Any,
    equality: Any = None,
    *,
    clock: Clock,
) -> SurveyResponse:
    """Store one participant's response and (apart, unlinked) their equality answers; a second is 409.

    The unique constraint decides between two requests racing: the loser's insert fails and
    nothing of it is kept.
    """
    participant = actor.participant
    survey = get_survey(db, survey_id)
    if participant is None:
        raise NotAuthenticated(gettext("Open the survey's link first, or join its meeting."), code="not_joined")
    if participant.meeting_id != survey.meeting_id:
        raise NotFound(gettext("There is no survey with that id."), code="survey_not_found")
    survey.require_open(clock.now())
    clean = check_answers(survey, answers)
    clean_equality = check_equality(equality)
    if has_responded(db, survey, participant):
        raise Conflict(gettext("You have already answered this survey. Thank you."), code="already_answered")
    response = SurveyResponse(survey_id=survey.id, participant_id=participant.id, created_at=clock.now())
    response.answers = [SurveyAnswer(question_id=qid, value=value) for qid, value in clean.items()]
    try:
        # The draft goes with the response; any statement here may flush the insert, so all sit in the try.
        db.execute(
            delete(SurveyDraft).where(SurveyDraft.survey_id == survey.id, SurveyDraft.participant_id == participant.id)
        )
        db.add(response)
        if clean_equality:
            db.add(EqualityAnswers(survey_id=survey.id, answers=clean_equality))
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(gettext("You have already answered this survey. Thank you."), code="already_answered") from None
    return response


def draft_answers(db: Session, survey: Survey, participant: Participant) -> dict[str, Any]:
    """Return the answers this participant has given so far on the survey's pages, by question id."""
    draft = db.scalar(
        select(SurveyDraft).where(SurveyDraft.survey_id == survey.id, SurveyDraft.participant_id == participant.id)
    )
    return dict(draft.answers) if draft is not None else {}


def save_draft_answer(
    db: Session, actor: Actor, survey: Survey, question: SurveyQuestion, value: Any, *, clock: Clock
) -> None:
    """Check one answer from a question page and keep it with the participant's others until they send them."""
    participant = actor.participant
    if participant is None or participant.meeting_id != survey.meeting_id:
        raise NotAuthenticated(gettext("Open the survey's link first."), code="not_joined")
    survey.require_open(clock.now())
    if has_responded(db, survey, participant):
        raise Conflict(gettext("You have already answered this survey. Thank you."), code="already_answered")
    clean = check_answer(question, value)
    draft = db.scalar(
        select(SurveyDraft).where(SurveyDraft.survey_id == survey.id, SurveyDraft.participant_id == participant.id)
    )
    if draft is None:
        draft = SurveyDraft(survey_id=survey.id, participant_id=participant.id, answers={})
        db.add(draft)
    answers = dict(draft.answers or {})
    if clean is None:
        answers.pop(str(question.id), None)
    else:
        answers[str(question.id)] = clean
    draft.answers = answers
    draft.updated_at = clock.now()
    try:
        db.commit()
    except IntegrityError:  # two tabs saved the first answer at once: keep the other's, save this into it
        db.rollback()
        save_draft_answer(db, actor, survey, question, value, clock=clock)


# ---------------------------------------------------------------------------------------------
# Results (admin, facilitator)
# ---------------------------------------------------------------------------------------------


def _answers_by_question(db: Session, survey: Survey) -> dict[int, list[Any]]:
    """Return every stored answer value per question id, oldest response first."""
    rows = db.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.value)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id)
    )
    found: dict[int, list[Any]] = {}
    for question_id, value in rows:
        found.setdefault(question_id, []).append(value)
    return found


def _text_answers(db: Session, survey: Survey) -> dict[int, list[dict[str, Any]]]:
    """Return text answers with their ids per question (for turning one into a concern)."""
    text_ids = [q.id for q in survey.questions if q.kind is QuestionKind.text]
    rows = db.execute(
        select(SurveyAnswer.id, SurveyAnswer.question_id, SurveyAnswer.value)
        .where(SurveyAnswer.question_id.in_(text_ids))
        .order_by(SurveyAnswer.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for answer_id, question_id, value in rows:
        found.setdefault(question_id, []).append({"id": answer_id, "text": value})
    return found


def equality_results(db: Session, survey: Survey) -> list[dict[str, Any]]:
    """Return each equality question's groups with counts; a group under 10 people shows no count."""
    counts: dict[str, Counter[str]] = {question.key: Counter() for question in EQUALITY}
    for (answers,) in db.execute(select(EqualityAnswers.answers).where(EqualityAnswers.survey_id == survey.id)):
        for key, value in (answers or {}).items():
            if key in counts:
                counts[key][value] += 1
    report = []
    for question in EQUALITY:
        answered = sum(counts[question.key].values())
        groups = [
            {
                "label": label,
                "count": count if count >= SUPPRESS_UNDER else None,
                "percent": percent(count, answered) if count >= SUPPRESS_UNDER else None,
            }
            for label in question.choices
            for count in [counts[question.key][label]]
        ]
        report.append({"key": question.key, "label": question.label, "answered": answered, "groups": groups})
    return report


def build_results(db: Session, survey: Survey) -> dict[str, Any]:
    """Return the survey's results as stored now (see :func:`results`)."""
    answers = _answers_by_question(db, survey)
    texts = _text_answers(db, survey)
    total = db.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)) or 0
    questions = []
    for question in survey.questions:
        values = answers.get(question.id, [])
        summary = question.field.summary(question, values)
        if question.kind is QuestionKind.text:
            summary["answers"] = texts.get(question.id, [])
        questions.append(
            {
                "id": question.id,
                "kind": question.kind.value,
                "prompt": question.prompt,
                "answered": len(values),
                "suppressed": len(values) < SUPPRESS_UNDER and question.kind is not QuestionKind.text,
                **summary,
            }
        )
    return {"responses": int(total), "questions": questions, "equality": equality_results(db, survey)}


def good_or_excellent(db: Session, survey: Survey) -> dict[str, Any]:
    """The headline figure for the series' impact page: how many rated the local police, and the % Good or Excellent.

    ``pct`` is null where fewer than 10 answered (api.md's ``good_or_excellent: {n, pct}``); "Don't know"
    counts in ``n``, as the national survey's headline does.
    """
    body = survey.kept_results if survey.purged_responses else build_results(db, survey)
    rating = next(
        (
            q
            for q, item in zip((body or {}).get("questions", []), survey.questions, strict=False)
            if item.key == "police_rating"
        ),
        None,
    )
    if rating is None:
        return {"n": 0, "pct": None}
    answered = rating["answered"]
    if rating["suppressed"]:
        return {"n": answered, "pct": None}
    good = sum(option["count"] for option in rating["options"] if option["label"] in ("Excellent", "Good"))
    return {"n": answered, "pct": percent(good, answered)}


def summary(db: Session, survey: Survey, *, clock: Clock) -> dict[str, Any]:
    """Return the survey's results (see :func:`results`) without checking who asks: callers authorise.

    Once retention has deleted the responses, the results kept at that moment are returned.
    """
    body = survey.kept_results if survey.purged_responses else build_results(db, survey)
    return {
        "survey_id": survey.id,
        "status": survey.effective_status(clock.now()).value,
        "suppress_under": SUPPRESS_UNDER,
        **(body or {"responses": 0, "questions": [], "equality": []}),
    }


def results(db: Session, actor: Actor, survey_id: int, *, clock: Clock) -> dict[str, Any]:
    """Return per-question counts and percentages (null under 10 answers), text answers and equality in aggregate.

    Once retention has deleted the responses, the results kept at that moment are returned.
    """
    actor.require_meeting_manager()
    return summary(db, get_survey(db, survey_id), clock=clock)


def export_rows(db: Session, actor: Actor, survey_id: int) -> tuple[list[str], list[list[Any]]]:
    """Return a CSV header and one row per response: its number, date and answers, never a participant token.

    Equality answers are not in it: they are kept apart and only reported in aggregate.
    """
    user = actor.require_meeting_manager()
    survey = get_survey(db, survey_id)
    header = ["response", "submitted_at", *(question.prompt for question in survey.questions)]
    responses = db.scalars(
        select(SurveyResponse)
        .options(selectinload(SurveyResponse.answers))
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id)
    )
    rows = []
    for number, response in enumerate(responses, start=1):
        given = {answer.question_id: answer.value for answer in response.answers}
        rows.append(
            [number, response.created_at.isoformat(), *(readable_answer(q, given.get(q.id)) for q in survey.questions)]
        )
    audit(db, user, "survey.export", object_type="survey", object_id=survey.id, detail=f"{len(rows)} responses")
    db.commit()
    return header, rows


def readable_answer(question: SurveyQuestion, value: Any) -> Any:
    """Return an answer as people read it: option labels, the number, the text."""
    if value is None:
        return ""
    if question.kind in (QuestionKind.single, QuestionKind.likert):
        option = question.option(value)
        return option.label if option else ""
    if question.kind is QuestionKind.multiple:
        return "; ".join(o.label for o in question.options if o.id in value)
    return value


def next_meeting(db: Session, meeting: Meeting) -> Meeting | None:
    """Return the series' next meeting after ``meeting`` that has not ended (draft or live), if any."""
    later = [
        other
        for other in meetings_of_series(db, meeting.series_id)
        if other.id != meeting.id
        and other.status is not MeetingStatus.closed
        and (meeting.starts_at is None or other.starts_at is None or other.starts_at >= meeting.starts_at)
    ]
    return later[0] if later else None


def turn_into_concern(db: Session, actor: Actor, answer_id: int) -> tuple[Meeting, int]:
    """Make a free-text answer a concern of the series' next meeting (approved); return that meeting and its number."""
    user = actor.require_meeting_manager()
    answer = db.get(SurveyAnswer, answer_id)
    question = db.get(SurveyQuestion, answer.question_id) if answer is not None else None
    if answer is None or question is None or not isinstance(answer.value, str):
        raise NotFound(gettext("There is no such answer."), code="answer_not_found")
    survey = get_survey(db, question.survey_id)
    target = next_meeting(db, survey.meeting)
    if target is None:
        raise Conflict(
            gettext("This series has no meeting coming up. Create the next meeting first, then try again."),
            code="no_next_meeting",
        )
    text = answer.value if len(answer.value) <= CONCERN_TEXT_MAX else answer.value[: CONCERN_TEXT_MAX - 1] + "…"
    concern = carry_into(db, user, target, text, detail=f"from survey {survey.id} of meeting {survey.meeting.code}")
    return target, concern.number


# ---------------------------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------------------------


def purge_survey_responses(db: Session, meeting_ids: list[int], *, dry_run: bool = False) -> dict[str, int]:
    """Delete these meetings' survey responses and equality answers, keeping each survey's results first.

    The results (counts, suppressed as always; free text dropped) are stored on the survey, so the
    series' trend survives. The caller commits.
    """
    surveys = list(db.scalars(_load(db).where(Survey.meeting_id.in_(meeting_ids))))
    removed = {"survey responses": 0, "equality monitoring answers": 0}
    for survey in surveys:
        responses = db.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)) or 0
        equality = db.scalar(select(func.count(EqualityAnswers.id)).where(EqualityAnswers.survey_id == survey.id)) or 0
        if not dry_run:
            db.execute(delete(SurveyDraft).where(SurveyDraft.survey_id == survey.id))
        removed["survey responses"] += responses
        removed["equality monitoring answers"] += equality
        if dry_run or not (responses or equality):
            continue
        kept = build_results(db, survey)
        for question in kept["questions"]:
            if "answers" in question:
                question["answers"] = []
        if survey.kept_results is None:
            survey.kept_results = kept
        survey.purged_responses += responses
        db.execute(delete(EqualityAnswers).where(EqualityAnswers.survey_id == survey.id))
        response_ids = select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)
        db.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(response_ids)))
        db.execute(delete(SurveyResponse).where(SurveyResponse.survey_id == survey.id))
    return removed

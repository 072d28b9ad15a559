"""The one JSON shape of a survey, used by the API and the pages' scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ysdw_live.meetings.serializers import iso
from ysdw_live.surveys.models import QuestionKind, Survey, SurveyQuestion

SCALED = frozenset({QuestionKind.rating, QuestionKind.nps})


def question_to_dict(question: SurveyQuestion) -> dict[str, Any]:
    """Return one question: its options, and the scale of a rating or NPS question."""
    scale = question.scale
    return {
        "id": question.id,
        "kind": question.kind.value,
        "prompt": question.prompt,
        "hint": question.hint,
        "options": [{"id": option.id, "label": option.label} for option in question.options],
        "required": question.required,
        "scale": {"min": scale.start, "max": scale.stop - 1} if question.kind in SCALED else None,
    }


def survey_to_dict(survey: Survey, now: datetime) -> dict[str, Any]:
    """Return the survey as participants and staff see it (its status as of ``now``)."""
    return {
        "id": survey.id,
        "title": survey.title,
        "meeting_code": survey.meeting.code,
        "status": survey.effective_status(now).value,
        "closes_at": iso(survey.closes_at),
        "questions": [question_to_dict(question) for question in survey.questions],
    }


def survey_url(meeting_code: str, public_url: str) -> str:
    """Return the survey's own link (what its QR code encodes): anyone with it may answer, joined or not."""
    return f"{public_url.rstrip('/')}/j/{meeting_code}/survey"

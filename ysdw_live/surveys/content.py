"""The survey content the product ships with, word for word from the design's survey-items.md.

English is what is stored, reported and exported; every string is marked with ``N_`` so it is
extracted into the catalogue, and the survey pages show it translated (the ``translated`` filter).

The wording must match the national surveys so results can be read next to them; a test checks
every prompt and option here against that file. Keep it frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ysdw_live.i18n import N_
from ysdw_live.surveys.models import LIKERT_SCALE, QuestionKind

TEMPLATE_TRUST_CONFIDENCE = "trust_confidence"
TEMPLATE_TITLE = N_("Trust and confidence in the police")


@dataclass(frozen=True)
class TemplateQuestion:
    """One question of a shipped template."""

    key: str
    kind: QuestionKind
    prompt: str
    options: tuple[str, ...] = ()
    hint: str = ""
    required: bool = False


AGREE_HINT = N_("How far do you agree or disagree with this statement about the police in this area?")

TRUST_CONFIDENCE: tuple[TemplateQuestion, ...] = (
    TemplateQuestion(
        "police_rating",
        QuestionKind.single,
        N_("Taking everything into account, how good a job do you think the police in this area are doing?"),
        (N_("Excellent"), N_("Good"), N_("Fair"), N_("Poor"), N_("Very poor"), N_("Don't know")),
    ),
    *(
        TemplateQuestion(key, QuestionKind.likert, statement, LIKERT_SCALE, hint=AGREE_HINT)
        for key, statement in (
            ("relied_on", N_("They can be relied on to be there when you need them")),
            ("respect", N_("They would treat you with respect if you had contact with them for any reason")),
            ("fair", N_("The police in this area treat everyone fairly regardless of who they are")),
            ("understand", N_("They understand the issues that affect this community")),
            ("dealing", N_("They are dealing with the things that matter to people in this community")),
            ("confidence", N_("Taking everything into account I have confidence in the police in this area")),
            ("listen", N_("The police in your area listen to the concerns of local people")),
        )
    ),
    TemplateQuestion(
        "stop_search",
        QuestionKind.single,
        N_("How confident are you that the police in your area use their stop and search powers fairly?"),
        (
            N_("Very confident"),
            N_("Fairly confident"),
            N_("Not very confident"),
            N_("Not at all confident"),
            N_("Don't know"),
        ),
    ),
    TemplateQuestion(
        "meeting_view",
        QuestionKind.single,
        N_("Did today's meeting change your view of the police at all?"),
        (N_("More favourably"), N_("Less favourably"), N_("No change"), N_("Don't know")),
    ),
    TemplateQuestion(
        "listened",
        QuestionKind.single,
        N_("Do you feel the police listened to the concerns raised today?"),
        (N_("Yes, completely"), N_("Yes, to some extent"), N_("No"), N_("Not sure")),
    ),
    TemplateQuestion(
        "hate_crime_report",
        QuestionKind.single,
        N_("If you experienced or witnessed a hate crime, how likely would you be to report it to the police?"),
        (N_("Very likely"), N_("Fairly likely"), N_("Not very likely"), N_("Not at all likely"), N_("Don't know")),
    ),
    TemplateQuestion(
        "hate_crime_know",
        QuestionKind.single,
        N_("Do you know how to report a hate crime, including online or through a third-party reporting centre?"),
        (N_("Yes"), N_("No"), N_("Not sure")),
    ),
    TemplateQuestion("do_differently", QuestionKind.text, N_("What one thing should the police do differently?")),
)

TEMPLATES = {TEMPLATE_TRUST_CONFIDENCE: (TEMPLATE_TITLE, TRUST_CONFIDENCE)}

# ---------------------------------------------------------------------------------------------
# Optional equality monitoring (special category data: stored apart, shown only in aggregate)
# ---------------------------------------------------------------------------------------------

PREFER_NOT_TO_SAY = N_("Prefer not to say")


@dataclass(frozen=True)
class EqualityQuestion:
    """One equality monitoring question; "Prefer not to say" is added to every one."""

    key: str
    label: str
    prompt: str
    options: tuple[str, ...]
    # For a follow-up: the parent question's key and the parent answers that show it.
    follows: str = ""
    shown_when: tuple[str, ...] = ()
    # For grouped options (ethnic group): the group each detailed option belongs to.
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def choices(self) -> tuple[str, ...]:
        """The options with "Prefer not to say" last."""
        return (*self.options, PREFER_NOT_TO_SAY)


ETHNIC_GROUPS: dict[str, tuple[str, ...]] = {
    N_("White"): (
        N_("English, Welsh, Scottish, Northern Irish or British"),
        N_("Irish"),
        N_("Gypsy or Irish Traveller"),
        N_("Roma"),
        N_("Any other White background"),
    ),
    N_("Mixed or Multiple ethnic groups"): (
        N_("White and Black Caribbean"),
        N_("White and Black African"),
        N_("White and Asian"),
        N_("Any other Mixed or Multiple ethnic background"),
    ),
    N_("Asian or Asian British"): (
        N_("Indian"),
        N_("Pakistani"),
        N_("Bangladeshi"),
        N_("Chinese"),
        N_("Any other Asian background"),
    ),
    N_("Black, Black British, Caribbean or African"): (
        N_("Caribbean"),
        N_("African"),
        N_("Any other Black, Black British, or Caribbean background"),
    ),
    N_("Other ethnic group"): (N_("Arab"), N_("Any other ethnic group")),
}

EQUALITY: tuple[EqualityQuestion, ...] = (
    EqualityQuestion(
        "age_band",
        N_("Age band"),
        N_("What is your age?"),
        (
            N_("Under 18"),
            N_("18–24"),
            N_("25–34"),
            N_("35–44"),
            N_("45–54"),
            N_("55–64"),
            N_("65–74"),
            N_("75 or over"),
        ),
    ),
    EqualityQuestion("ethnic_group", N_("Ethnic group"), N_("What is your ethnic group?"), tuple(ETHNIC_GROUPS)),
    EqualityQuestion(
        "ethnic_detail",
        N_("Ethnic background"),
        N_("Which of the following best describes your background?"),
        tuple(item for items in ETHNIC_GROUPS.values() for item in items),
        follows="ethnic_group",
        shown_when=tuple(ETHNIC_GROUPS),
        groups=ETHNIC_GROUPS,
    ),
    EqualityQuestion("sex", N_("Sex"), N_("What is your sex?"), (N_("Female"), N_("Male"))),
    EqualityQuestion(
        "gender_identity",
        N_("Gender identity"),
        N_("Is the gender you identify with the same as your sex registered at birth?"),
        (N_("Yes"), N_("No")),
    ),
    EqualityQuestion(
        "disability",
        N_("Disability"),
        N_(
            "Do you have any physical or mental health conditions or illness lasting or expected to last "
            "12 months or more?"
        ),
        (N_("Yes"), N_("No")),
    ),
    EqualityQuestion(
        "disability_impact",
        N_("Day-to-day activities"),
        N_("Do any of your conditions or illnesses reduce your ability to carry out day to day activities?"),
        (N_("Yes, a lot"), N_("Yes, a little"), N_("Not at all")),
        follows="disability",
        shown_when=(N_("Yes"),),
    ),
    EqualityQuestion(
        "religion",
        N_("Religion"),
        N_("What is your religion?"),
        (
            N_("No religion"),
            N_("Christian"),
            N_("Buddhist"),
            N_("Hindu"),
            N_("Jewish"),
            N_("Muslim"),
            N_("Sikh"),
            N_("Any other religion"),
        ),
    ),
    EqualityQuestion(
        "sexual_orientation",
        N_("Sexual orientation"),
        N_("Which of the following best describes your sexual orientation?"),
        (N_("Heterosexual or straight"), N_("Gay or lesbian"), N_("Bisexual"), N_("Other")),
    ),
)
EQUALITY_BY_KEY = {question.key: question for question in EQUALITY}

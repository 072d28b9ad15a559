"""The survey content the product ships with, word for word from the design's survey-items.md.

The wording must match the national surveys so results can be read next to them; a test checks
every prompt and option here against that file. Keep it frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ysdw_live.surveys.models import LIKERT_SCALE, QuestionKind

TEMPLATE_TRUST_CONFIDENCE = "trust_confidence"
TEMPLATE_TITLE = "Trust and confidence in the police"


@dataclass(frozen=True)
class TemplateQuestion:
    """One question of a shipped template."""

    key: str
    kind: QuestionKind
    prompt: str
    options: tuple[str, ...] = ()
    hint: str = ""
    required: bool = False


AGREE_HINT = "How far do you agree or disagree with this statement about the police in this area?"

TRUST_CONFIDENCE: tuple[TemplateQuestion, ...] = (
    TemplateQuestion(
        "police_rating",
        QuestionKind.single,
        "Taking everything into account, how good a job do you think the police in this area are doing?",
        ("Excellent", "Good", "Fair", "Poor", "Very poor", "Don't know"),
    ),
    *(
        TemplateQuestion(key, QuestionKind.likert, statement, LIKERT_SCALE, hint=AGREE_HINT)
        for key, statement in (
            ("relied_on", "They can be relied on to be there when you need them"),
            ("respect", "They would treat you with respect if you had contact with them for any reason"),
            ("fair", "The police in this area treat everyone fairly regardless of who they are"),
            ("understand", "They understand the issues that affect this community"),
            ("dealing", "They are dealing with the things that matter to people in this community"),
            ("confidence", "Taking everything into account I have confidence in the police in this area"),
            ("listen", "The police in your area listen to the concerns of local people"),
        )
    ),
    TemplateQuestion(
        "stop_search",
        QuestionKind.single,
        "How confident are you that the police in your area use their stop and search powers fairly?",
        ("Very confident", "Fairly confident", "Not very confident", "Not at all confident", "Don't know"),
    ),
    TemplateQuestion(
        "meeting_view",
        QuestionKind.single,
        "Did today's meeting change your view of the police at all?",
        ("More favourably", "Less favourably", "No change", "Don't know"),
    ),
    TemplateQuestion(
        "listened",
        QuestionKind.single,
        "Do you feel the police listened to the concerns raised today?",
        ("Yes, completely", "Yes, to some extent", "No", "Not sure"),
    ),
    TemplateQuestion(
        "hate_crime_report",
        QuestionKind.single,
        "If you experienced or witnessed a hate crime, how likely would you be to report it to the police?",
        ("Very likely", "Fairly likely", "Not very likely", "Not at all likely", "Don't know"),
    ),
    TemplateQuestion(
        "hate_crime_know",
        QuestionKind.single,
        "Do you know how to report a hate crime, including online or through a third-party reporting centre?",
        ("Yes", "No", "Not sure"),
    ),
    TemplateQuestion("do_differently", QuestionKind.text, "What one thing should the police do differently?"),
)

TEMPLATES = {TEMPLATE_TRUST_CONFIDENCE: (TEMPLATE_TITLE, TRUST_CONFIDENCE)}

# ---------------------------------------------------------------------------------------------
# Optional equality monitoring (special category data: stored apart, shown only in aggregate)
# ---------------------------------------------------------------------------------------------

PREFER_NOT_TO_SAY = "Prefer not to say"


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
    "White": (
        "English, Welsh, Scottish, Northern Irish or British",
        "Irish",
        "Gypsy or Irish Traveller",
        "Roma",
        "Any other White background",
    ),
    "Mixed or Multiple ethnic groups": (
        "White and Black Caribbean",
        "White and Black African",
        "White and Asian",
        "Any other Mixed or Multiple ethnic background",
    ),
    "Asian or Asian British": ("Indian", "Pakistani", "Bangladeshi", "Chinese", "Any other Asian background"),
    "Black, Black British, Caribbean or African": (
        "Caribbean",
        "African",
        "Any other Black, Black British, or Caribbean background",
    ),
    "Other ethnic group": ("Arab", "Any other ethnic group"),
}

EQUALITY: tuple[EqualityQuestion, ...] = (
    EqualityQuestion(
        "age_band",
        "Age band",
        "What is your age?",
        ("Under 18", "18–24", "25–34", "35–44", "45–54", "55–64", "65–74", "75 or over"),
    ),
    EqualityQuestion("ethnic_group", "Ethnic group", "What is your ethnic group?", tuple(ETHNIC_GROUPS)),
    EqualityQuestion(
        "ethnic_detail",
        "Ethnic background",
        "Which of the following best describes your background?",
        tuple(item for items in ETHNIC_GROUPS.values() for item in items),
        follows="ethnic_group",
        shown_when=tuple(ETHNIC_GROUPS),
        groups=ETHNIC_GROUPS,
    ),
    EqualityQuestion("sex", "Sex", "What is your sex?", ("Female", "Male")),
    EqualityQuestion(
        "gender_identity",
        "Gender identity",
        "Is the gender you identify with the same as your sex registered at birth?",
        ("Yes", "No"),
    ),
    EqualityQuestion(
        "disability",
        "Disability",
        "Do you have any physical or mental health conditions or illness lasting or expected to last "
        "12 months or more?",
        ("Yes", "No"),
    ),
    EqualityQuestion(
        "disability_impact",
        "Day-to-day activities",
        "Do any of your conditions or illnesses reduce your ability to carry out day to day activities?",
        ("Yes, a lot", "Yes, a little", "Not at all"),
        follows="disability",
        shown_when=("Yes",),
    ),
    EqualityQuestion(
        "religion",
        "Religion",
        "What is your religion?",
        ("No religion", "Christian", "Buddhist", "Hindu", "Jewish", "Muslim", "Sikh", "Any other religion"),
    ),
    EqualityQuestion(
        "sexual_orientation",
        "Sexual orientation",
        "Which of the following best describes your sexual orientation?",
        ("Heterosexual or straight", "Gay or lesbian", "Bisexual", "Other"),
    ),
)
EQUALITY_BY_KEY = {question.key: question for question in EQUALITY}

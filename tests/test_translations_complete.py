"""Every shipped language translates every message, with the same placeholders, and compiles.

A language ships when ``ysdw_live/translations/<lang>/LC_MESSAGES/messages.po`` exists; from then
on a new or changed English string fails this test until each shipped language has it. The fix is
``bash scripts/i18n.sh`` (extract, update, compile) and a translation of each new entry (the
README's "Translating" section).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from ysdw_live.i18n import DEFAULT_LANGUAGE, RTL_LANGUAGES, available_languages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "ysdw_live" / "translations"
POT = TRANSLATIONS / "messages.pot"
SHIPPED = [lang for lang in available_languages(TRANSLATIONS) if lang != DEFAULT_LANGUAGE]
# The languages issue 13 promises; removing one of their catalogues fails here.
PROMISED = {"pl", "ar", "ur"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def _forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


def _key(message: Message) -> tuple[str | None, str]:
    return (message.context, _ids(message)[0])


def _label(message: Message) -> str:
    context = f"[{message.context}] " if message.context else ""
    return f"{context}{_ids(message)[0]!r}"


@pytest.fixture(scope="module")
def template() -> dict[tuple[str | None, str], Message]:
    """The committed messages.pot's entries, by context and English text."""
    return {_key(message): message for message in _read(POT) if message.id}


def test_the_promised_languages_ship() -> None:
    """Polish, Arabic and Urdu ship; the last two are right to left."""
    assert set(SHIPPED) >= PROMISED, f"missing catalogues: {sorted(PROMISED - set(SHIPPED))}"
    assert {"ar", "ur"} <= RTL_LANGUAGES


def _problems(catalogue: Catalog, template: dict[tuple[str | None, str], Message]) -> list[str]:
    """What is wrong with ``catalogue`` against the template: missing, untranslated, fuzzy, bad placeholders."""
    entries = {_key(message): message for message in catalogue if message.id}
    problems: list[str] = []
    for key, source in template.items():
        message = entries.get(key)
        if message is None:
            problems.append(f"not in the catalogue (run bash scripts/i18n.sh update): {_label(source)}")
            continue
        forms = _forms(message)
        if message.fuzzy:
            problems.append(f"fuzzy (check it, then remove the flag): {_label(source)}")
        if len(forms) != (catalogue.num_plurals if source.pluralizable else 1) or not all(f.strip() for f in forms):
            problems.append(f"untranslated: {_label(source)}")
            continue
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in _ids(source)))
        for form in forms:
            found = set(PLACEHOLDER.findall(form))
            # A plural form may leave out the number ("one answer"), never invent a placeholder.
            if found - wanted or (not source.pluralizable and found != wanted):
                problems.append(
                    f"placeholders {sorted(found)} should be {sorted(wanted)}: {_label(source)} -> {form!r}"
                )
            elif form.replace("%%", "").count("%") != len(PLACEHOLDER.findall(form)):
                problems.append(f"a stray %: {_label(source)} -> {form!r}")
    return problems


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_message_is_translated(lang: str, template: dict[tuple[str | None, str], Message]) -> None:
    """Every entry of the template is in the language's catalogue, translated, not fuzzy, placeholders kept."""
    catalogue = _read(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    problems = _problems(catalogue, template)
    assert not problems, f"{lang}: {len(problems)} problems:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("lang", SHIPPED)
def test_each_catalogue_passes_babels_checks(lang: str) -> None:
    """Babel's own checks (python-format placeholders, plural forms) pass, and the locale is the folder's."""
    catalogue = _read(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    errors = [f"{_label(message)}: {'; '.join(map(str, errs))}" for message, errs in catalogue.check()]
    assert not errors, "\n".join(errors[:20])
    assert catalogue.locale_identifier == lang
    assert catalogue.num_plurals >= 1


def test_the_check_notices_what_is_wrong(template: dict[tuple[str | None, str], Message]) -> None:
    """The check can fail: a missing, a blank, a fuzzy and a mangled entry are each reported."""
    with_placeholder = next(m for m in template.values() if not m.pluralizable and PLACEHOLDER.search(m.id))
    plain = [m for m in template.values() if not m.pluralizable and not PLACEHOLDER.search(m.id) and "%" not in m.id]
    catalogue = Catalog(locale="pl")
    for source in template.values():
        # English copied across is a well-formed translation (Polish has three plural forms).
        forms = (source.id[0], source.id[1], source.id[1]) if source.pluralizable else source.id
        catalogue.add(source.id, forms, context=source.context)
    catalogue[with_placeholder.id].string = "bez zmiennej"
    catalogue[plain[0].id].string = ""
    catalogue[plain[1].id].flags.add("fuzzy")
    catalogue[plain[2].id].string = "100% gotowe"
    del catalogue[plain[3].id]
    problems = _problems(catalogue, template)
    assert len(problems) == 5, problems
    assert any(problem.startswith("placeholders [] should be") for problem in problems)
    assert any(problem.startswith("untranslated:") for problem in problems)
    assert any(problem.startswith("fuzzy") for problem in problems)
    assert any(problem.startswith("a stray %") for problem in problems)
    assert any(problem.startswith("not in the catalogue") for problem in problems)

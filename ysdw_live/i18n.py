"""Translation: the message catalogue every user-facing string goes through.

Foundation: imports Flask-Babel and nothing of ours, so a model, a service or a page may mark a
string. Templates use ``{{ _("…") }}`` (Flask-Babel installs ``_``, ``gettext`` and ``ngettext``
into Jinja); Python code uses :func:`gettext` at request time, or :func:`lazy_gettext` for a
string defined at import time (a label in a table, a form field's error) that is rendered later.

Wording that is stored (the shipped survey's questions and options, the equality monitoring
labels) stays English in the database, the reports and the CSVs: it is only marked with
:func:`N_` so that it is extracted, and pages show it through the ``translated`` filter.

Scripts get their strings from :func:`js_catalogue`: the catalogue's entries found in
``static/js`` files, rendered into every page as ``<script id="js-messages">`` ({} in English)
and looked up by ``t()`` and ``tn()`` in ``static/js/i18n.js``.

Catalogues live in ``ysdw_live/translations/<lang>/LC_MESSAGES/messages.po``; ``babel.cfg`` says
where strings are extracted from and ``scripts/i18n.sh`` extracts, updates and compiles them.
Outside a request (the CLI, a background task) every function returns the English source text:
English is the source of truth for stored wording and reports.
"""

from __future__ import annotations

import functools
import gettext as _stdlib_gettext
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po
from flask import Flask, current_app, g
from flask_babel import Babel, lazy_gettext, ngettext, refresh
from flask_babel import gettext as _babel_gettext

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_NAMES",
    "N_",
    "RTL_LANGUAGES",
    "_",
    "available_languages",
    "gettext",
    "init_app",
    "js_catalogue",
    "language_name",
    "lazy_gettext",
    "long_date",
    "ngettext",
    "text_direction",
    "translated",
]

DEFAULT_LANGUAGE = "en"
TRANSLATIONS = Path(__file__).with_name("translations")
# The numbers tried to learn which of a catalogue's plural forms each CLDR plural category takes.
_PLURAL_SAMPLES = range(0, 1001)
# Each language's own name, as its speakers read it in the language switch.
LANGUAGE_NAMES = {
    "en": "English",
    "pl": "Polski",
    "ar": "العربية",
    "ur": "اردو",
    "pa": "ਪੰਜਾਬੀ",
    "bn": "বাংলা",
    "ro": "Română",
    "so": "Soomaali",
    "fa": "فارسی",
    "ps": "پښتو",
}
# The language a person chose with the switch (or ?lang=), remembered for a year on this device.
LANGUAGE_COOKIE = "ysdw_lang"

# Languages written right to left: their pages get dir="rtl".
RTL_LANGUAGES = frozenset({"ar", "ur", "fa", "he", "ps"})


def available_languages(directory: Path = TRANSLATIONS) -> list[str]:
    """Return English and every language with a catalogue under ``directory`` (``<lang>/LC_MESSAGES/messages.po``)."""
    found = sorted(path.parent.parent.name for path in directory.glob("*/LC_MESSAGES/messages.po"))
    return [DEFAULT_LANGUAGE, *(lang for lang in found if lang != DEFAULT_LANGUAGE)]


def text_direction(lang: str) -> str:
    """``rtl`` for a right-to-left language, else ``ltr``."""
    return "rtl" if lang.split("-")[0] in RTL_LANGUAGES else "ltr"


def gettext(message: str, **variables: object) -> str:
    """Translate ``message`` for the current request's language and fill in ``%(name)s`` variables."""
    return _babel_gettext(message, **variables)


_: Callable[..., str] = gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction and return it unchanged: stored English, translated on display."""
    return message


def translated(text: Any) -> Any:
    """Return stored English ``text`` in the request's language when the catalogue has it (a template filter).

    Unlike ``_()`` in a template, no ``%`` formatting is applied, so any stored text is safe here, and
    empty text stays empty (gettext("") would be the catalogue's header). Text the catalogue does not
    know (a survey question staff wrote) comes back as it is.
    """
    if not isinstance(text, str) or not text:
        return text
    return _babel_gettext(text)


def long_date(value: date) -> str:
    """``value`` as the request's language writes a date in full: "14 March 2026", "14 marca 2026"."""
    language = current_language()
    # Babel's plain "en" is American ("March 14, 2026"); the English pages are British.
    return format_date(value, "long", locale="en_GB" if language == DEFAULT_LANGUAGE else language)


def language_name(code: str | None) -> str:
    """The name of the language ``code`` ("ar", "pl-PL") in the request's language ("Arabic"), or ""."""
    return _language_name(code, current_language()) if code else ""


@functools.lru_cache(maxsize=256)
def _language_name(code: str, language: str) -> str:
    """``code``'s name in ``language`` (Babel parses its locale data once per pair: the console asks per row)."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(language)
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


def current_language() -> str:
    """The language the request's pages are in (``g.lang``, chosen by the pages' language hook)."""
    return g.get("lang", DEFAULT_LANGUAGE)


def js_catalogue(language: str | None = None) -> dict[str, Any]:
    """Return the scripts' messages in ``language`` (default: the request's): {} for English.

    ``{"messages": {English: translation or [plural forms]}, "plural": {CLDR category: form index}}``,
    built from the ``.po`` entries whose locations are in ``.js`` files, and cached per language.
    """
    language = language or current_language()
    if language == DEFAULT_LANGUAGE:
        return {}
    # The folders Flask-Babel reads its .mo files from (BABEL_TRANSLATION_DIRECTORIES, resolved).
    directories = current_app.extensions["babel"].translation_directories
    return _read_js_catalogue(tuple(directories), language)


@functools.lru_cache(maxsize=32)
def _read_js_catalogue(directories: tuple[str, ...], language: str) -> dict[str, Any]:
    """Read the scripts' entries of ``language``'s catalogue in ``directories`` (the first one found)."""
    for directory in directories:
        path = Path(directory) / language / "LC_MESSAGES" / "messages.po"
        if path.is_file():
            with path.open("rb") as file:
                catalogue = read_po(file, locale=language)
            break
    else:
        return {}
    messages: dict[str, Any] = {}
    for message in catalogue:
        if not message.id or message.fuzzy or not any(place.endswith(".js") for place, _line in message.locations):
            continue
        if isinstance(message.id, tuple | list):
            forms = list(message.string) if isinstance(message.string, tuple | list) else []
            if forms and all(forms):
                messages[message.id[0]] = forms
        elif message.string:
            messages[message.id] = message.string
    if not messages:
        return {}
    return {"messages": messages, "plural": _plural_indexes(language, catalogue.plural_expr)}


def _plural_indexes(language: str, plural_expr: str) -> dict[str, int]:
    """Map each CLDR plural category (what ``Intl.PluralRules`` answers) to the catalogue's form index."""
    try:
        rule = Locale.parse(language).plural_form
    except (ValueError, UnknownLocaleError):
        return {}
    pick = _stdlib_gettext.c2py(plural_expr)
    indexes: dict[str, int] = {}
    for number in _PLURAL_SAMPLES:
        indexes.setdefault(rule(number), pick(number))
    # A category no whole number takes (Polish "other" is for fractions): the last form, as gettext does.
    last = max(indexes.values(), default=0)
    for tag in (*rule.tags, "other"):
        indexes.setdefault(tag, last)
    return indexes


def init_app(app: Flask) -> None:
    """Attach the catalogue to ``app``: the request's language comes from :func:`current_language`."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    # The languages pages are offered in (the switch, ?lang=, Accept-Language choose among them).
    app.config.setdefault("LANGUAGES", available_languages())
    Babel(app, locale_selector=current_language)
    # Flask-Babel keeps the language it chose on the app context's ``g``; a request inside an already
    # pushed app context (tests, the CLI) shares that ``g``, so each request chooses afresh.
    app.before_request(refresh)
    app.add_template_filter(translated, "translated")
    app.add_template_global(js_catalogue, "js_catalogue")
    app.add_template_global(language_name, "language_name")
    app.add_template_global(current_language, "current_language")

"""Translation: the message catalogue every user-facing string goes through.

Foundation: imports Flask-Babel and nothing of ours, so a model, a service or a page may mark a
string. Templates use ``{{ _("…") }}`` (Flask-Babel installs ``_``, ``gettext`` and ``ngettext``
into Jinja); Python code uses :func:`gettext` at request time, or :func:`lazy_gettext` for a
string defined at import time (a label in a table, a form field's error) that is rendered later.

Catalogues live in ``ysdw_live/translations/<lang>/LC_MESSAGES/messages.po``; ``babel.cfg`` says
where strings are extracted from. Outside a request (the CLI, a background task) every function
returns the English source text: English is the source of truth for stored wording and reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, g
from flask_babel import Babel, lazy_gettext, ngettext
from flask_babel import gettext as _babel_gettext

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_NAMES",
    "RTL_LANGUAGES",
    "_",
    "available_languages",
    "gettext",
    "init_app",
    "lazy_gettext",
    "ngettext",
    "text_direction",
]

DEFAULT_LANGUAGE = "en"
TRANSLATIONS = Path(__file__).with_name("translations")
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


def current_language() -> str:
    """The language the request's pages are in (``g.lang``, chosen by the pages' language hook)."""
    return g.get("lang", DEFAULT_LANGUAGE)


def init_app(app: Flask) -> None:
    """Attach the catalogue to ``app``: the request's language comes from :func:`current_language`."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    # The languages pages are offered in (the switch, ?lang=, Accept-Language choose among them).
    app.config.setdefault("LANGUAGES", available_languages())
    Babel(app, locale_selector=current_language)

"""The word list that holds back word-cloud and open-text answers before they reach the projector.

A short built-in list of English swear words and slurs' common stems, extended by the admin: one
word a line in ``instance/blocked_words.txt`` and/or ``YSDW_BLOCKED_WORDS`` (comma-separated), read
when the app starts. An answer containing a listed word (as a whole word, any letter case) is
stored but held back: it counts in the total, never shows on the projector or to attendees, and
the facilitator can show it after all from the console (or hold back any other answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

BLOCKED_WORDS_FILE = "blocked_words.txt"
DEFAULT_BLOCKED = frozenset(
    {
        "fuck", "fucking", "fucker", "shit", "shite", "cunt", "bastard", "bollocks", "wanker",
        "twat", "prick", "dickhead", "arsehole", "asshole", "bitch", "slag", "pigs",
    }
)  # fmt: skip
_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


def load_blocked_words(instance_path: Path, extra: str = "") -> frozenset[str]:
    """Return the built-in list with the admin's words from ``instance/blocked_words.txt`` and ``extra``."""
    words = set(DEFAULT_BLOCKED)
    listed = instance_path / BLOCKED_WORDS_FILE
    if listed.is_file():
        for line in listed.read_text(encoding="utf-8").splitlines():
            word = line.split("#", 1)[0].strip().casefold()
            if word:
                words.add(word)
    words.update(part.strip().casefold() for part in extra.split(",") if part.strip())
    return frozenset(words)


def is_blocked(answer: str | Iterable[str], blocked: frozenset[str]) -> bool:
    """Return whether the answer (a text, or a list of words) holds a blocked word, as a whole word."""
    texts = [answer] if isinstance(answer, str) else list(answer)
    return any(word.casefold() in blocked for text in texts for word in _WORDS.findall(text))

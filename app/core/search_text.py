"""Text normalised for searching in Arabic and English alike."""

from __future__ import annotations

import re
import unicodedata

# Harakat, tanween, shadda, sukun, superscript alef and tatweel do not change a word.
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}  # noqa: RUF001
)


def normalize_arabic(text: str | None) -> str:
    """Arabic diacritics removed and letter variants unified, nothing else changed ("مُقدِّمة" -> "مقدمه")."""
    return _ARABIC_MARKS.sub("", text or "").translate(_ARABIC_LETTERS)


def normalize_search(text: str | None) -> str:
    """Lower-case, NFKC, Arabic diacritics removed and letter variants unified ("مُقدِّمة" -> "مقدمه")."""
    return normalize_arabic(unicodedata.normalize("NFKC", text or "").lower())

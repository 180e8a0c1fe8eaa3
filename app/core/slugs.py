"""URL slugs that keep Arabic letters: lower-case words joined by hyphens."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def slugify(text: str, max_length: int = 180) -> str:
    """A slug from any text ("Intro to Python!" -> "intro-to-python"; Arabic stays Arabic)."""
    normalized = unicodedata.normalize("NFKC", text or "").lower()
    # Harakat and other combining marks (and the tatweel) would otherwise split words apart.
    normalized = "".join(c for c in normalized if unicodedata.category(c) != "Mn" and c != "\u0640")
    slug = _NOT_WORD.sub("-", normalized).replace("_", "-").strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    return slug[:max_length].strip("-")


def is_valid_slug(slug: str) -> bool:
    """True for a non-empty slug that slugify leaves unchanged."""
    return bool(slug) and slugify(slug, max_length=200) == slug

"""SEO metadata (PRD 4.1.1): one JSON column per public entity, checked whenever it is set."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.core.errors import Invalid
from app.core.html import checked_url
from app.core.translations import LANGUAGES

TEXT_KEYS = ("meta_title", "meta_description", "og_title", "og_description", "og_type")
URL_KEYS = ("og_image", "canonical_url")
MAX_TEXT = 1000


def checked_seo(value: Any) -> dict[str, Any]:
    """{"en"|"ar": {meta_title, meta_description, keywords, og_*, schema_markup, canonical_url}}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(_("SEO data must map a language to its fields."), {"seo": ["object"]})
    cleaned: dict[str, Any] = {}
    for language, fields in value.items():
        if language not in LANGUAGES:
            raise Invalid(_("Unknown language '%(code)s'.", code=language), {"seo": list(LANGUAGES)})
        if not fields:
            continue
        if not isinstance(fields, dict):
            raise Invalid(_("SEO data must map a language to its fields."), {f"seo.{language}": ["object"]})
        bucket: dict[str, Any] = {}
        for key, item in fields.items():
            where = f"seo.{language}.{key}"
            if item in (None, "", []):
                continue
            if key in TEXT_KEYS:
                if not isinstance(item, str) or len(item) > MAX_TEXT:
                    raise Invalid(_("'%(field)s' must be text.", field=key), {where: ["string"]})
            elif key in URL_KEYS:
                if not isinstance(item, str):
                    raise Invalid(_("Use an absolute http(s) address."), {where: [str(item)[:200]]})
                item = checked_url(item, where)
            elif key == "keywords":
                if isinstance(item, str):
                    item = [word.strip() for word in item.split(",")]
                if not isinstance(item, list) or not all(isinstance(w, str) for w in item):
                    raise Invalid(_("Keywords must be a list of words."), {where: ["list of strings"]})
                item = [w.strip()[:100] for w in item if w.strip()][:50]
            elif key == "schema_markup":
                if not isinstance(item, dict):
                    raise Invalid(_("Schema markup must be a JSON object."), {where: ["object"]})
            else:
                raise Invalid(_("Unknown field '%(field)s'.", field=key), {where: [*TEXT_KEYS, *URL_KEYS]})
            bucket[key] = item
        if bucket:
            cleaned[language] = bucket
    return cleaned

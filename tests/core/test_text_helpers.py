"""Slugs, search normalisation and the HTML sanitizer shared by every module."""

from __future__ import annotations

import pytest

from app.core.html import plain_text, sanitize_html
from app.core.search_text import normalize_search
from app.core.slugs import is_valid_slug, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Intro to Python 3!", "intro-to-python-3"),
        ("  Data -- Science__101 ", "data-science-101"),
        ("مقدمة في البرمجة", "مقدمة-في-البرمجة"),
        ("مُقدِّمة في البَرمجة", "مقدمة-في-البرمجة"),  # harakat do not split words
        ("عـــربي", "عربي"),  # tatweel
        ("!!!", ""),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug
    assert is_valid_slug(slug) == bool(slug)


def test_slug_length_is_capped_without_a_trailing_hyphen():
    slug = slugify("word " * 100, max_length=23)
    assert len(slug) <= 23 and not slug.endswith("-")


def test_is_valid_slug_refuses_upper_case_and_spaces():
    assert not is_valid_slug("Python")
    assert not is_valid_slug("two words")


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Héllo WORLD", "héllo world"),
        ("مُقدِّمة", "مقدمه"),
        ("أساسيات إدارة", "اساسيات اداره"),
        ("مستوى", "مستوي"),
    ],
)
def test_normalize_search(text, normalized):
    assert normalize_search(text) == normalized


def test_sanitize_html_keeps_formatting_and_removes_active_content():
    dirty = (
        '<p dir="rtl" onclick="x()">نص <strong>مهم</strong><script>alert(1)</script>'
        '<a href="javascript:alert(1)">a</a><a href="https://example.com">b</a>'
        '<img src="x" onerror="alert(1)"></p><iframe src="https://evil"></iframe>'
    )
    clean = sanitize_html(dirty)
    assert "<strong>مهم</strong>" in clean and 'dir="rtl"' in clean
    for bad in ("<script", "onclick", "javascript:", "onerror", "<iframe"):
        assert bad not in clean
    assert 'href="https://example.com"' in clean and 'rel="noopener noreferrer nofollow"' in clean
    assert sanitize_html(None) == ""
    assert plain_text("<p>a <b>b</b></p>") == "a b"

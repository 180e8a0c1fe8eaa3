"""Every back-office list and show page of the demo data, in Arabic, shows words, not values or codes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask_appbuilder import ModelView

from app.audit.context import system_actor
from app.cli import initialize
from app.extensions import appbuilder, db

# Python values, JSON, actor codes and MIME types that must never reach the screen.
RAW = re.compile(
    r'\b(True|False|None)\b|\{\s*"|\bsystem:|\buser:\d|\b(application|image|video|audio|text)/[a-z0-9.+-]+\b'
)
SHOWN_PER_LIST = 25


HIDDEN = ("script", "style", "template")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The text a reader sees (no script, style or attribute values), without the content that is
    marked as English (`lang="en"`: a row's English texts, such as a true/false option "True")."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # open elements and whether their text is skipped

    def handle_starttag(self, tag: str, attrs: list) -> None:
        inherited = bool(self._open) and self._open[-1][1]
        if tag not in VOID:
            self._open.append((tag, inherited or tag in HIDDEN or dict(attrs).get("lang") == "en"))

    def handle_endtag(self, tag: str) -> None:
        # Elements closed implicitly (<p>, <li>...) end with their parent.
        while any(name == tag for name, _ in self._open):
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self._open and self._open[-1][1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def model_views() -> list[ModelView]:
    return [view for view in appbuilder.baseviews if isinstance(view, ModelView)]


def test_no_python_values_or_codes_on_any_back_office_page_in_arabic(app, login_as):
    with app.app_context(), system_actor("seed"):
        initialize(with_demo=True)
        db.session.remove()
    admin = login_as("Admin")
    admin.get("/lang/ar")
    problems: list[str] = []
    walked: list[str] = []

    def check(url: str) -> str:
        walked.append(url)
        response = admin.get(url)
        html = response.get_data(as_text=True)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            return html
        for match in RAW.finditer(visible_text(html)):
            problems.append(f"{url}: {match.group(0)!r}")
        return html

    with app.test_request_context():
        from flask import url_for

        views = [v.endpoint for v in model_views() if f"{v.endpoint}.show" in app.view_functions]
        lists = [(url_for(f"{e}.list"), e) for e in views]
        for list_url, endpoint in lists:
            html = check(list_url)
            pks = re.findall(r'name="rowid" value="([^"]+)"', html)
            pks += re.findall(rf'href="{re.escape(url_for(f"{endpoint}.show", pk="0")[:-1])}([^"?/]+)', html)
            for pk in list(dict.fromkeys(pks))[:SHOWN_PER_LIST]:
                check(url_for(f"{endpoint}.show", pk=pk))
    assert not problems, "\n".join(sorted(set(problems)))
    assert len(walked) > 100  # every list and the rows of its first page

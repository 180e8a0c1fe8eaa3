"""The Arabic gettext catalog: complete, current with our sources, format-safe and compilable.

No fixtures: these tests read files only (the autouse transaction fixture still runs around them).
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
PO_PATH = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
# The extraction of our code in scripts/i18n.sh (babel.cfg over app/ and seed/).
KEYWORDS = ["-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy_gettext", "-k", "_l"]
ARABIC_PLURAL_FORMS = (
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
)

NAMED = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?([a-zA-Z])")
POSITIONAL = re.compile(r"%(?!\()[#0 +-]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa])")
BRACES = re.compile(r"\{(\w*)(?:[!:][^{}]*)?\}")
TAG = re.compile(r"</?([a-zA-Z][\w-]*)")


def read_catalog(path: Path | None = None) -> Catalog:
    with (path or PO_PATH).open("rb") as fileobj:
        return read_po(fileobj)


def key(message: Message) -> str:
    """The msgid (the singular one for plural entries)."""
    return message.id if isinstance(message.id, str) else message.id[0]


def strings(message: Message) -> tuple[str, ...]:
    """Every translation of a message: one, or one per plural form."""
    return message.string if isinstance(message.string, tuple) else (message.string or "",)


def translated(message: Message) -> bool:
    return bool(strings(message)) and all(s.strip() for s in strings(message))


def signature(text: str) -> tuple[Counter, list[str], Counter, Counter]:
    """Named placeholders (name, type), positional types in order, brace fields and HTML tags."""
    text = text.replace("%%", "")
    return (
        Counter(NAMED.findall(text)),
        POSITIONAL.findall(text),
        Counter(BRACES.findall(text.replace("{{", "").replace("}}", ""))),
        Counter(TAG.findall(text)),
    )


def extract_our_messages() -> Catalog:
    """Run the pybabel extraction of scripts/i18n.sh over our code into a temporary .pot."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "ours.pot"
        CommandLineInterface().run(
            [
                "pybabel",
                "-q",
                "extract",
                "-F",
                str(ROOT / "babel.cfg"),
                "--ignore-dirs=.* _* node_modules",
                *KEYWORDS,
                "-o",
                str(pot),
                str(ROOT),
            ]
        )
        return read_catalog(pot)


def test_catalog_is_arabic_complete_and_not_fuzzy() -> None:
    catalog = read_catalog()
    assert str(catalog.locale) == "ar"
    assert catalog.plural_forms == ARABIC_PLURAL_FORMS
    assert not catalog.fuzzy, "the header is fuzzy: pybabel compile would skip the whole catalog"
    messages = [message for message in catalog if message.id]
    assert len(messages) > 200, "FAB's strings and ours should all be in the catalog"

    empty = [key(m) for m in messages if not translated(m)]
    fuzzy = [key(m) for m in messages if m.fuzzy]
    wrong_plurals = [key(m) for m in messages if m.pluralizable and len(strings(m)) != catalog.num_plurals]
    assert not empty, "msgids without an Arabic translation:\n" + "\n".join(empty)
    assert not fuzzy, "fuzzy translations (review, then drop the flag):\n" + "\n".join(fuzzy)
    assert not wrong_plurals, "plural msgids without all 6 Arabic forms:\n" + "\n".join(wrong_plurals)


def test_every_string_of_our_code_is_translated() -> None:
    """A string added to app/ or seed/ without its Arabic translation fails here."""
    extracted = [message for message in extract_our_messages() if message.id]
    found = {key(m) for m in extracted}
    assert {"Audit Log", "Lookups", "Trash"} <= found, "the babel.cfg extraction found too little"

    catalog = read_catalog()
    missing = []
    for message in extracted:
        entry = catalog.get(message.id, context=message.context)
        if entry is None or not translated(entry) or entry.fuzzy:
            where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
            missing.append(f"{key(message)!r} ({where})")
    assert not missing, (
        "msgids of our code missing from (or untranslated in) translations/ar: "
        "run scripts/i18n.sh and translate them:\n" + "\n".join(missing)
    )


def test_translations_keep_placeholders_and_markup() -> None:
    catalog = read_catalog()
    wrong = []
    for message in catalog:
        if not message.id or not translated(message):
            continue
        if isinstance(message.id, str):
            if signature(message.string) != signature(message.id):
                wrong.append(f"{message.id!r} -> {message.string!r}")
            continue
        # Plural forms: no unknown names, the same positional arguments in every form; the
        # zero/one/two forms may spell the number out, the few/many/other forms must show it.
        named, positional, braces, tags = signature(message.id[1])
        for index, form in enumerate(message.string):
            form_named, form_positional, form_braces, form_tags = signature(form)
            if (
                form_positional != positional
                or form_tags != tags
                or not set(form_named) <= set(named) | set(signature(message.id[0])[0])
                or not set(form_braces) <= set(braces)
                or (index >= 3 and (form_named != named or form_braces != braces))
            ):
                wrong.append(f"{message.id[0]!r} form {index} -> {form!r}")
    assert not wrong, "translations whose placeholders or tags differ from the msgid:\n" + "\n".join(wrong)


def test_signature_catches_broken_placeholders() -> None:
    """The placeholder check itself: a renamed, retyped or dropped placeholder is a difference."""
    original = "New password for %(user)s: %(password)s"
    assert signature("كلمة المرور الجديدة للمستخدم %(user)s: %(password)s") == signature(original)
    assert signature("كلمة المرور الجديدة: %(password)s") != signature(original)
    assert signature("%(username)s: %(password)s") != signature(original)
    assert signature("%(count)s") != signature("%(count)d")
    assert signature("%s و%s") != signature("%s")
    assert signature("{0}") != signature("{1}")
    assert signature("<b>%(name)s</b>") != signature("%(name)s")


def test_catalog_compiles_and_loads() -> None:
    catalog = read_catalog()
    buffer = BytesIO()
    write_mo(buffer, catalog)
    assert buffer.tell() > 0
    buffer.seek(0)
    translations = Translations(fp=buffer)
    assert translations.gettext("List Users") == "قائمة المستخدمين"
    assert translations.gettext("Search") == "بحث"
    assert translations.gettext("Trash") == "سلة المحذوفات"
    compiled = {k if isinstance(k, str) else k[0] for k in translations._catalog} - {""}
    left_out = sorted({key(message) for message in catalog if message.id} - compiled)
    assert not left_out, "messages left out of the compiled catalog:\n" + "\n".join(left_out)

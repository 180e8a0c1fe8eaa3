"""File name, extension and size checks."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext

from app.media.validation.common import EXTENSION_FAMILY, KB, MB, KindRule, UploadRejected

# Extensions that a web server, a browser or a desktop may execute or render: never allowed as an
# inner extension (`cv.php.pdf`) nor as the last one of a multi-extension name (`photo.jpg.exe`).
# Words that are also ordinary name parts (com, inc, msc, reg, xml, ...) are left out on purpose.
DANGEROUS_EXTENSIONS = frozenset(
    """
    exe dll scr pif cpl msi msp bat cmd hta lnk scf jar js jse mjs vbs vbe wsf wsh wsc sct ps1 psm1
    sh bash zsh csh ksh cgi pl py pyc rb swf php php2 php3 php4 php5 php6 php7 php8 phtml pht phtm
    phar phps pgif asp aspx asa ascx ashx asmx axd cshtml vbhtml jsp jspx jsw jsv jspf cfm cfml
    html htm xhtml xht shtml shtm stm mht mhtml svg svgz xsl xslt htaccess htpasswd
    """.split()  # noqa: SIM905 - a word list reads better than 80 quoted strings
)

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
MAX_NAME_CHARS = 255


def _bad_name(message: str) -> UploadRejected:
    return UploadRejected(message, reason="bad_name")


def _extension_token(part: str) -> str:
    """`php`, `PHP `, `php:` and fullwidth letters all read as `php`; longer phrases are not extensions."""
    token = unicodedata.normalize("NFKC", part).casefold().strip()
    return re.sub(r"[^0-9a-z]+", "", token) if len(token) <= 16 else ""


def check_name(filename: str, rule: KindRule) -> tuple[str, str]:
    """(display name, extension) of an acceptable name, else UploadRejected."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise _bad_name(gettext("The file has no name."))
    if "\x00" in name or any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        raise _bad_name(gettext("The file name contains invalid characters."))
    if "/" in name or "\\" in name or ".." in name:
        raise _bad_name(gettext("The file name must not contain a path."))
    if name.startswith(".") or name.endswith("."):
        raise _bad_name(gettext("The file name must not start or end with a dot."))
    if len(name) > 4 * MAX_NAME_CHARS:
        raise _bad_name(gettext("The file name is too long."))

    parts = name.split(".")
    extension = parts[-1].strip().lower() if len(parts) > 1 else ""
    if len(parts) > 2 and any(_extension_token(part) in DANGEROUS_EXTENSIONS for part in parts[1:]):
        raise UploadRejected(
            gettext("File names with several extensions, one of them executable, are not accepted."),
            reason="double_extension",
        )
    if extension not in rule.extensions or extension not in EXTENSION_FAMILY:
        allowed = ", ".join(sorted(rule.extensions))
        if extension in ("svg", "svgz"):
            message = gettext("SVG images are not accepted. Allowed types: %(allowed)s.", allowed=allowed)
        elif extension:
            message = gettext(
                "Files of type .%(extension)s are not accepted here. Allowed types: %(allowed)s.",
                extension=extension[:20],
                allowed=allowed,
            )
        else:
            message = gettext("The file name has no extension. Allowed types: %(allowed)s.", allowed=allowed)
        raise UploadRejected(message, reason="type_not_allowed")

    if len(name) > MAX_NAME_CHARS:
        name = name[: MAX_NAME_CHARS - len(extension) - 1].rstrip() + "." + extension
    return name, extension


def human_size(size: int) -> str:
    """5242880 -> '5 MB' (binary units, as the limits are written)."""
    for unit, factor in (("GB", 1024 * MB), ("MB", MB), ("KB", KB)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"


def check_size(data: bytes, rule: KindRule) -> None:
    if not data:
        raise UploadRejected(gettext("The file is empty."), reason="empty")
    if len(data) > rule.max_bytes:
        raise UploadRejected(
            gettext("The file is too large: the limit is %(limit)s.", limit=human_size(rule.max_bytes)),
            reason="too_large",
            status_code=413,
        )

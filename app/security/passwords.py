"""Password policy: a minimum length and a common-password list, no composition rules (ASVS 6.2)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of breached/common passwords, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("#")]
    return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problem(password: str | None, min_length: int | None = None) -> str | None:
    """Why a password is refused, or None when it is acceptable."""
    password = password or ""
    min_length = min_length or current_app.config.get("PASSWORD_MIN_LENGTH", 12)
    if len(password) < min_length:
        return _("Use at least %(count)d characters.", count=min_length)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)d characters.", count=MAX_LENGTH)
    if password.lower() in common_passwords() or len(set(password)) < 3:
        return _("This password is too common. Choose a less predictable one.")
    return None


def validate_password(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: raise with a translated reason when refused."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)

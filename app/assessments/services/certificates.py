"""Certificates: numbers, issuing on completion (once, whatever races), PDFs, revoking, verifying."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_date, pgettext
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from app.assessments import notices
from app.assessments.models import Certificate, CourseCompletion
from app.assessments.services.access import is_staff, require_staff
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models import utcnow
from app.core.pdf import png_data_uri, qr_png, render_pdf
from app.core.targets import is_admin, signed_in_user_id
from app.core.tasks import enqueue
from app.core.transactions import unique_insert
from app.core.translations import translated
from app.courses.models import Course
from app.courses.services.access import access_via_subscription, enrollment_of, subscription_allows
from app.extensions import db
from app.media import generated
from app.media import services as media
from app.media.models import Media
from app.security.models import LmsUser

# Crockford's base32: no I, L, O or U, so a number read aloud or retyped is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_PATTERN = re.compile(r"^CERT(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
SEAL_PATH = Path(__file__).resolve().parent.parent / "seal.png"
MAX_REASON = 500
REISSUED_REASON = "Re-issued"


# ---- numbers ----------------------------------------------------------------------------------
def new_certificate_number() -> str:
    """A random public number, `CERT-XXXX-XXXX-XXXX-XXXX` (80 bits: not guessable)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "CERT-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalize_number(text: str | None) -> str:
    """A typed number in its stored form: upper case, no spaces, O read as 0, I and L as 1."""
    cleaned = re.sub(r"[\s_-]", "", (text or "").upper())
    body = cleaned[4:] if cleaned.startswith("CERT") else cleaned
    body = body.translate(str.maketrans("OIL", "011"))
    if len(body) != 16:
        return cleaned  # not a number of ours: it will match nothing
    return "CERT-" + "-".join(body[i : i + 4] for i in range(0, 16, 4))


def verification_url(number: str) -> str:
    """The public page that confirms a certificate (printed on it and in its QR code)."""
    if has_request_context():
        try:
            return url_for("portal.verify_certificate", number=number, _external=True)
        except BuildError:
            pass  # the portal page is not registered in this app
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/verify/" + number


# ---- rules ------------------------------------------------------------------------------------
def can_view_certificate(user: Any, certificate: Certificate) -> bool:
    """Its file: the learner who holds it while it is valid, and the course's staff (admins through
    the target registry)."""
    user_id = signed_in_user_id(user)
    if user_id is not None and user_id == certificate.user_id and certificate.revoked_at is None:
        return True
    return user_id is not None and is_staff(user, certificate.course)


def can_manage_certificate(user: Any, certificate: Certificate) -> bool:
    """The course's staff revoke and re-issue."""
    return signed_in_user_id(user) is not None and is_staff(user, certificate.course)


def _valid_certificate(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate)
        .where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.revoked_at.is_(None),
        )
        .execution_options(populate_existing=True)
    )


def _locked(certificate: Certificate) -> Certificate:
    """The certificate row, locked until the commit, with its current values."""
    row = db.session.scalar(
        select(Certificate)
        .where(Certificate.id == certificate.id)
        .with_for_update(of=Certificate)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound()
    return row


def _full_name(user: LmsUser, language: str = "en") -> str:
    """The learner's name as printed: the Arabic one on Arabic certificates when given."""
    if language == "ar" and (user.name_ar or "").strip():
        return (user.name_ar or "").strip()[:200]
    name = f"{user.first_name or ''} {user.last_name or ''}".strip()
    return (name or user.username)[:200]


def _local_date(moment: datetime, user: LmsUser) -> date:
    """The day in the learner's own timezone (what they remember as the day they finished)."""
    try:
        return moment.astimezone(ZoneInfo(user.timezone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return moment.date()


def _new_row(user: LmsUser, course: Course, completed_on: date, **fields: Any) -> Certificate:
    language = "ar" if user.locale == "ar" else "en"
    return Certificate(
        number=new_certificate_number(),
        user_id=user.id,
        course_id=course.id,
        student_name=_full_name(user, language),
        course_title=translated(course.translations, "title", language)[:400],
        language=language,
        completed_on=completed_on,
        issued_at=utcnow(),
        **fields,
    )


def _insert(build: Callable[[], Certificate]) -> Certificate | None:
    """Insert a new certificate, or None when a valid one for that learner and course exists."""
    for _attempt in range(3):
        certificate = build()
        try:
            with unique_insert(_("This learner already holds a certificate for this course.")):
                db.session.add(certificate)
            return certificate
        except Conflict:
            if _valid_certificate(certificate.user_id, certificate.course_id) is not None:
                return None
            # Otherwise the random number was taken: draw another.
    raise Conflict(_("No certificate number could be drawn. Please try again."))


# ---- issuing ----------------------------------------------------------------------------------
def certificates_enabled(course_id: int) -> bool:
    """True when completing the course earns a certificate."""
    return bool(
        db.session.scalar(
            select(CourseCompletion.certificate_enabled).where(CourseCompletion.course_id == course_id)
        )
    )


def issue_certificate(user_id: int, course_id: int) -> Certificate | None:
    """The learner's valid certificate for a completed course, issued once (None when not earned);
    its PDF is rendered by a task queued after the commit (the slow part holds no lock then)."""
    certificate = _valid_certificate(user_id, course_id)
    if certificate is None:
        enrollment = enrollment_of(user_id, course_id)
        if not certificates_enabled(course_id) or enrollment is None or enrollment.completed_at is None:
            return None
        user, course = enrollment.user, enrollment.course
        if access_via_subscription(user, course) and not subscription_allows(user_id, "certificates"):
            return None  # learners who study through a plan get certificates when the plan includes them
        completed_on = _local_date(enrollment.completed_at, user)
        # Another worker may insert the same certificate at the same moment: the partial unique
        # index lets one win, and the other returns the winner's row.
        issued = _insert(lambda: _new_row(user, course, completed_on))
        if issued is not None:
            notices.certificate_issued(issued)
        certificate = issued or _valid_certificate(user_id, course_id)
        if certificate is None:  # the winner was revoked in between
            return None
    if certificate.media_id is None:
        enqueue("app.assessments.tasks.render_certificate", certificate.id)
    return certificate


def on_course_completed(_sender: Any, *, user_id: int, course_id: int) -> None:
    """Receiver of `course_completed`: issue the certificate in the background when the course gives one."""
    if certificates_enabled(course_id):
        enqueue("app.assessments.tasks.issue_certificate", user_id, course_id)


# ---- the PDF ----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _seal() -> str:
    return png_data_uri(SEAL_PATH.read_bytes())


def _wording(gender: str | None) -> tuple[str, str]:
    """The words before and after the learner's name, in their grammatical gender when it is known
    (Arabic inflects them; neutral wording otherwise). Call under the certificate's locale."""
    if gender == "female":
        return pgettext("female learner", "This certifies that"), pgettext(
            "female learner", "has completed the course"
        )
    if gender == "male":
        return pgettext("male learner", "This certifies that"), pgettext(
            "male learner", "has completed the course"
        )
    return _("This certifies that"), _("has completed the course")


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as PDF bytes, in its own language."""
    url = verification_url(certificate.number)
    with force_locale(certificate.language):
        before_name, after_name = _wording(certificate.user.gender_code if certificate.user else None)
        return render_pdf(
            "pdf/certificate.html",
            rtl=certificate.language == "ar",
            language=certificate.language,
            app_name=current_app.config.get("APP_NAME", ""),
            student_name=certificate.student_name,
            before_name=before_name,
            after_name=after_name,
            course_title=certificate.course_title,
            completed_on=format_date(certificate.completed_on, "long"),
            number=certificate.number,
            verify_url=url,
            seal=_seal(),
            qr_code=png_data_uri(qr_png(url)),
        )


def render_certificate_pdf(certificate: Certificate) -> Media:
    """Store the certificate's PDF once (concurrent calls wait on the row and reuse the first file)."""
    return generated.generated_once(
        certificate,
        _locked,
        certificate_pdf,
        filename=lambda row: f"certificate-{row.number}.pdf",
        kind="certificate",
    )


def download_url(user: Any, certificate: Certificate) -> str:
    """A signed, expiring link to the certificate's PDF for its holder or the course's staff."""
    if not (is_admin(user) or can_view_certificate(user, certificate)):
        if certificate.revoked_at is not None and signed_in_user_id(user) == certificate.user_id:
            raise Conflict(_("This certificate has been revoked."))
        raise Forbidden(_("You may not download this certificate."))
    if certificate.media is None:
        raise NotFound(_("The certificate file is being prepared."))
    return media.issue_link(certificate.media, user)


# ---- staff actions ----------------------------------------------------------------------------
def _revoke(row: Certificate, actor: Any, reason: str) -> None:
    row.revoked_at = utcnow()
    row.revoked_reason = reason
    row.revoked_by_id = signed_in_user_id(actor)


def revoke_certificate(actor: Any, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a valid certificate, with the reason shown on its verification page."""
    require_staff(actor, certificate.course)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the certificate is revoked."), {"reason": [_("This field is required.")]})
    if len(reason) > MAX_REASON:
        message = _("At most %(count)d characters.", count=MAX_REASON)
        raise Invalid(message, {"reason": [message]})
    row = _locked(certificate)
    if row.revoked_at is not None:
        db.session.rollback()
        raise Conflict(_("This certificate is already revoked."))
    _revoke(row, actor, reason)
    db.session.flush()
    return row


def reissue_certificate(actor: Any, certificate: Certificate) -> Certificate:
    """A new certificate (new number, current names) replacing this one, which is revoked."""
    require_staff(actor, certificate.course)
    old = _locked(certificate)
    if old.revoked_at is None:
        _revoke(old, actor, REISSUED_REASON)
        db.session.flush()  # frees the learner's valid slot before the new row takes it
    user, course = old.user, old.course
    new = _insert(lambda: _new_row(user, course, old.completed_on, reissued_from_id=old.id))
    if new is None:
        db.session.rollback()
        raise Conflict(_("This learner already holds a valid certificate for this course."))
    enqueue("app.assessments.tasks.render_certificate", new.id)
    notices.certificate_issued(new, actor)
    return new


# ---- public verification ----------------------------------------------------------------------
def reason_text(reason: str | None) -> str | None:
    """A revocation reason as shown; the one written on a re-issue in the viewer's language."""
    if reason == REISSUED_REASON:
        return _("Re-issued: replaced by a new certificate.")
    return reason


def verify_certificate(number: str) -> dict[str, Any]:
    """What the public verification page shows for a typed number: valid, revoked or unknown."""
    normalized = normalize_number(number)
    if not NUMBER_PATTERN.match(normalized):
        return {"status": "unknown", "number": normalized}
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.number == normalized).execution_options(populate_existing=True)
    )
    if certificate is None:
        return {"status": "unknown", "number": normalized}
    revoked = certificate.revoked_at is not None
    return {
        "status": "revoked" if revoked else "valid",
        "number": certificate.number,
        "student_name": certificate.student_name,
        "course_title": certificate.course_title,
        "completed_on": certificate.completed_on.isoformat(),
        "issued_at": certificate.issued_at.isoformat(),
        "revoked_at": certificate.revoked_at.isoformat() if revoked else None,
        "reason": reason_text(certificate.revoked_reason) if revoked else None,
    }


def recent_certificates(user_id: int, within: timedelta = timedelta(days=30)) -> list[Certificate]:
    """The learner's valid certificates issued lately, newest first."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.user_id == user_id,
                Certificate.revoked_at.is_(None),
                Certificate.issued_at >= utcnow() - within,
            )
            .order_by(Certificate.issued_at.desc())
            .limit(5)
        )
    )

"""Assessment background tasks."""

from __future__ import annotations

from app.assessments.models import Certificate
from app.assessments.services import certificates
from app.extensions import db


def issue_certificate(user_id: int, course_id: int) -> int | None:
    """Issue (once) the certificate of a completed course and queue its PDF; its id, or None if not earned."""
    certificate = certificates.issue_certificate(user_id, course_id)
    return certificate.id if certificate is not None else None


def render_certificate(certificate_id: int) -> int | None:
    """Store a certificate's PDF if it has none yet; the media id, or None for an unknown certificate."""
    certificate = db.session.get(Certificate, certificate_id, populate_existing=True)
    if certificate is None:
        return None
    return certificates.render_certificate_pdf(certificate).id


def submit_overdue_attempts() -> int:
    """Scheduled: close every quiz attempt still in progress after its deadline."""
    from app.assessments.services.attempts import submit_overdue_attempts as close_overdue

    return close_overdue()

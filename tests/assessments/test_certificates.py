"""Certificates: issued once (also under concurrency), numbers, revoking, re-issuing, verifying, the
Arabic and English PDFs, signed downloads, and no remote fetches while rendering."""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.assessments import tasks
from app.assessments.models import Certificate
from app.assessments.services import certificates
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pdf import PdfError, html_to_pdf
from app.core.softdelete import soft_delete
from app.core.transactions import transaction
from app.extensions import db
from app.lookups.services import lookup_id
from app.media import services as media_services
from app.media.models import Media
from tests.assessment_factories import set_completion
from tests.course_factories import make_course, make_enrollment
from tests.factories import make_user

NUMBER = re.compile(r"^CERT(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def _completed(
    *, enabled: bool = True, completed: bool = True, locale: str = "en", **names: str
) -> tuple[Any, Any, Any]:
    """(instructor, student, course): a course the student completed, certificates on by default."""
    instructor = make_user("Instructor")
    student = make_user(
        "Student",
        locale=locale,
        first_name=names.get("first_name", "Amelia"),
        last_name=names.get("last_name", "Thornton"),
    )
    course = make_course(
        instructors=[instructor],
        title=names.get("title", "Data Analysis"),
        title_ar=names.get("title_ar", "تحليل البيانات"),
    )
    set_completion(course, certificate_enabled=enabled)
    make_enrollment(student, course, status="completed" if completed else "active")
    return instructor, student, course


def _pdf(certificate: Certificate) -> bytes:
    stored = certificate.media
    return media_services.storage().read(stored.provider.code, stored.storage_path)


def _pdf_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.pdf"))


# ---- issuing once -----------------------------------------------------------------------------
def test_issuing_twice_gives_one_certificate_and_one_file(app, ctx, media_config):
    _, student, course = _completed()
    first = certificates.issue_certificate(student.id, course.id)
    second = certificates.issue_certificate(student.id, course.id)
    assert first is not None and second is not None and first.id == second.id
    assert NUMBER.match(first.number) and first.media_id == second.media_id
    assert (first.student_name, first.course_title) == ("Amelia Thornton", "Data Analysis")
    assert first.language == "en"
    owned = select(func.count()).select_from(Certificate).where(Certificate.user_id == student.id)
    count = db.session.scalar(owned)
    assert count == 1 and len(_pdf_files(media_config)) == 1
    assert first.media.mediable_type == "certificate" and first.media.mediable_id == first.id
    assert first.media.original_filename == f"certificate-{first.number}.pdf" and not first.media.is_temporary
    assert tasks.issue_certificate(student.id, course.id) == first.id  # the task is idempotent too
    assert tasks.render_certificate(first.id) == first.media_id
    assert len(_pdf_files(media_config)) == 1


def test_completion_hook_issues_only_when_certificates_are_enabled(app, ctx, media_config):
    _, student, course = _completed()
    certificates.on_course_completed(None, user_id=student.id, course_id=course.id)  # inline: no REDIS_URL
    assert certificates.issue_certificate(student.id, course.id).media_id is not None
    _, other, plain = _completed(enabled=False)
    certificates.on_course_completed(None, user_id=other.id, course_id=plain.id)
    assert db.session.scalar(select(Certificate).where(Certificate.user_id == other.id)) is None


def test_no_certificate_when_disabled_or_not_completed(app, ctx, media_config):
    _, student, course = _completed(enabled=False)
    assert certificates.issue_certificate(student.id, course.id) is None
    _, learner, started = _completed(completed=False)
    assert certificates.issue_certificate(learner.id, started.id) is None
    stranger = make_user("Student")
    assert certificates.issue_certificate(stranger.id, started.id) is None
    assert _pdf_files(media_config) == []


def test_concurrent_issuing_makes_one_certificate_and_one_file(app, committed, media_config, monkeypatch):
    with app.app_context():
        _, student, course = _completed()
        ids = (student.id, course.id)
        db.session.remove()
    # Both workers pass the "no certificate yet" check before either inserts: a real race.
    barrier = threading.Barrier(2, timeout=20)
    original = certificates.enrollment_of

    def enrollment_after_both_checked(user_id: int, course_id: int) -> Any:
        barrier.wait()
        return original(user_id, course_id)

    monkeypatch.setattr(certificates, "enrollment_of", enrollment_after_both_checked)
    conflicts: list[str] = []
    real_unique_insert = certificates.unique_insert

    @contextmanager
    def counted_unique_insert(message: str) -> Iterator[None]:
        try:
            with real_unique_insert(message):
                yield
        except Conflict:
            conflicts.append(threading.current_thread().name)
            raise

    monkeypatch.setattr(certificates, "unique_insert", counted_unique_insert)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                with transaction():  # the services flush; their caller commits
                    certificate = certificates.issue_certificate(*ids)
                results.append((certificate.id, certificate.media_id))
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 2 and len(set(results)) == 1
    assert len(conflicts) == 1  # the loser hit the unique index and returned the winner's row
    with app.app_context():
        rows = db.session.scalars(select(Certificate).where(Certificate.user_id == ids[0])).all()
        files = db.session.scalars(select(Media).where(Media.mediable_type == "certificate")).all()
        assert len(rows) == 1 and [m.mediable_id for m in files] == [rows[0].id]
        db.session.remove()
    assert len(_pdf_files(media_config)) == 1


# ---- numbers ----------------------------------------------------------------------------------
def test_numbers_are_readable_unique_and_normalized():
    numbers = {certificates.new_certificate_number() for _ in range(1000)}
    assert len(numbers) == 1000 and all(NUMBER.match(n) for n in numbers)
    assert not any(set(n[5:]) & set("ILOU") for n in numbers)
    canonical = "CERT-7K3M-9QXD-F2TB-H8WN"
    assert certificates.normalize_number(" cert-7k3m 9qxd-f2tb-h8wn ") == canonical
    assert certificates.normalize_number("CERT7K3M9QXDF2TBH8WN") == canonical
    assert certificates.normalize_number("CERT-O1IL-oooo-lIli-0000") == "CERT-0111-0000-1111-0000"
    assert certificates.normalize_number("nonsense") == "NONSENSE"


# ---- revoking, re-issuing, verifying ----------------------------------------------------------
def test_revoke_needs_a_reason_the_course_staff_and_a_valid_certificate(app, ctx, media_config):
    instructor, student, course = _completed()
    certificate = certificates.issue_certificate(student.id, course.id)
    other_instructor = make_user("Instructor")
    make_course(instructors=[other_instructor])
    with pytest.raises(Forbidden) as refused:
        certificates.revoke_certificate(other_instructor, certificate, "Plagiarism")
    assert refused.value.status_code == 403
    with pytest.raises(Forbidden):
        certificates.revoke_certificate(student, certificate, "I want to")
    with pytest.raises(Invalid) as invalid:
        certificates.revoke_certificate(instructor, certificate, "   ")
    assert invalid.value.status_code == 422 and "reason" in invalid.value.errors
    with pytest.raises(Invalid):
        certificates.revoke_certificate(instructor, certificate, "x" * 501)
    revoked = certificates.revoke_certificate(instructor, certificate, "Plagiarism")
    assert revoked.revoked_at is not None and revoked.revoked_by_id == instructor.id
    with pytest.raises(Conflict) as twice:
        certificates.revoke_certificate(instructor, certificate, "Again")
    assert twice.value.status_code == 409
    assert certificates.can_manage_certificate(instructor, certificate)
    assert not certificates.can_manage_certificate(student, certificate)


def test_reissue_revokes_the_old_certificate_and_issues_a_new_number(app, ctx, media_config):
    instructor, student, course = _completed()
    old = certificates.issue_certificate(student.id, course.id)
    student.last_name = "Thornton-Whitaker"  # a corrected name goes on the new certificate
    db.session.commit()
    new = certificates.reissue_certificate(instructor, old)
    assert new.id != old.id and new.number != old.number and new.reissued_from_id == old.id
    assert new.student_name == "Amelia Thornton-Whitaker" and new.media_id is not None
    assert old.revoked_at is not None and old.revoked_reason == "Re-issued"
    assert certificates.verify_certificate(new.number)["status"] == "valid"
    assert certificates.verify_certificate(old.number)["status"] == "revoked"
    assert certificates.issue_certificate(student.id, course.id).id == new.id
    # A revoked certificate may be re-issued, unless a valid one already exists.
    with pytest.raises(Conflict):
        certificates.reissue_certificate(instructor, old)
    certificates.revoke_certificate(instructor, new, "Issued in error")
    fresh = certificates.reissue_certificate(instructor, new)
    assert fresh.is_valid and fresh.reissued_from_id == new.id
    with pytest.raises(Forbidden):
        certificates.reissue_certificate(student, fresh)


def test_verify_valid_revoked_unknown_and_deleted(app, ctx, media_config):
    instructor, student, course = _completed()
    certificate = certificates.issue_certificate(student.id, course.id)
    valid = certificates.verify_certificate(certificate.number.lower().replace("-", " "))
    assert valid["status"] == "valid" and valid["number"] == certificate.number
    assert (valid["student_name"], valid["course_title"]) == ("Amelia Thornton", "Data Analysis")
    assert valid["completed_on"] == certificate.completed_on.isoformat() and valid["revoked_at"] is None
    certificates.revoke_certificate(instructor, certificate, "Academic misconduct")
    revoked = certificates.verify_certificate(certificate.number)
    assert revoked["status"] == "revoked" and revoked["reason"] == "Academic misconduct"
    assert revoked["revoked_at"] is not None
    unknown = certificates.verify_certificate("CERT-0000-0000-0000-0000")
    assert unknown == {"status": "unknown", "number": "CERT-0000-0000-0000-0000"}
    soft_delete(certificate)
    db.session.commit()
    assert certificates.verify_certificate(certificate.number)["status"] == "unknown"


# ---- downloads --------------------------------------------------------------------------------
def test_owner_downloads_through_a_signed_link_and_others_are_refused(app, media_config):
    with app.app_context():
        instructor, student, course = _completed()
        certificate = certificates.issue_certificate(student.id, course.id)
        stranger = make_user("Student")
        with app.test_request_context():
            url = certificates.download_url(student, certificate)
            assert certificates.download_url(instructor, certificate)
            with pytest.raises(Forbidden) as refused:
                certificates.download_url(stranger, certificate)
            assert refused.value.status_code == 403
            with pytest.raises(Forbidden):
                media_services.issue_link(certificate.media, stranger)
        media_id, expected = certificate.media_id, _pdf(certificate)
        db.session.remove()
    served = app.test_client().get(url)
    assert served.status_code == 200 and served.data == expected
    assert served.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        assert db.session.get(Media, media_id).download_count == 1
        db.session.remove()


def test_download_before_the_pdf_exists_says_it_is_being_prepared(app, ctx, media_config, monkeypatch):
    _, student, course = _completed()
    monkeypatch.setattr(certificates, "render_certificate_pdf", lambda certificate: None)
    with transaction():
        certificate = certificates.issue_certificate(student.id, course.id)
    assert certificate.media_id is None
    with app.test_request_context(), pytest.raises(NotFound) as waiting:
        certificates.download_url(student, certificate)
    assert "being prepared" in waiting.value.message


# ---- the PDF ----------------------------------------------------------------------------------
def _page(data: bytes) -> Any:
    pdf = pypdfium2.PdfDocument(data)
    assert len(pdf) == 1  # one A4 landscape page
    width, height = pdf[0].get_size()
    assert round(width) == 842 and round(height) == 595
    return pdf[0]


def _save_and_check_image(page: Any, path: Path, copy: Path) -> None:
    """Save the page as PNG (and a copy to look at), and check that its text area is not blank."""
    image = page.render(scale=1.5).to_pil()
    image.save(path)
    shutil.copyfile(path, copy)
    gray = image.convert("L")
    width, height = gray.size
    text_band = gray.crop((width // 5, height // 5, width * 4 // 5, height * 3 // 4))
    dark = sum(text_band.histogram()[:120])  # pixels darker than 120
    assert dark > 2000, "the certificate's text area is blank"


def test_arabic_certificate_is_shaped_right_to_left_text(app, ctx, media_config, tmp_path):
    _, student, course = _completed(
        locale="ar",
        first_name="فاطمة",
        last_name="الزهراء",
        title="Data Analysis with Python",
        title_ar="تحليل البيانات باستخدام بايثون",
    )
    certificate = certificates.issue_certificate(student.id, course.id)
    assert certificate.language == "ar" and certificate.course_title == "تحليل البيانات باستخدام بايثون"
    page = _page(_pdf(certificate))
    extracted = page.get_textpage().get_text_range()
    assert "فاطمة الزهراء" in extracted and "تحليل البيانات باستخدام بايثون" in extracted
    assert certificate.number in extracted
    with force_locale("ar"):
        heading = gettext("Certificate of Completion")
    assert heading in extracted
    _save_and_check_image(page, tmp_path / "cert-ar.png", Path(tempfile.gettempdir()) / "cert-ar.png")


def test_english_certificate_text_and_image(app, ctx, media_config, tmp_path):
    _, student, course = _completed(title="Data Analysis with Python")
    certificate = certificates.issue_certificate(student.id, course.id)
    page = _page(_pdf(certificate))
    extracted = page.get_textpage().get_text_range()
    for expected in ("Certificate of Completion", "Amelia Thornton", "Data Analysis with Python"):
        assert expected in extracted
    assert certificate.number in extracted and f"/verify/{certificate.number}" in extracted
    _save_and_check_image(page, tmp_path / "cert-en.png", Path(tempfile.gettempdir()) / "cert-en.png")


HARAKAT = re.compile("[\u064b-\u0652]")


def _certificate_text(*, locale: str, gender: str | None = None, **user_fields: str) -> tuple[Any, str]:
    """(certificate, extracted PDF text without harakat, which the PDF's shaping drops) for a learner
    with these profile fields."""
    _, student, course = _completed(
        locale=locale, first_name="Layla", last_name="Haddad", title="Statistics", title_ar="الإحصاء"
    )
    student.gender_id = lookup_id("genders", gender) if gender else None
    for name, value in user_fields.items():
        setattr(student, name, value)
    db.session.commit()
    certificate = certificates.issue_certificate(student.id, course.id)
    return certificate, _page(_pdf(certificate)).get_textpage().get_text_range()


def _bare(text: str) -> str:
    return HARAKAT.sub("", text)


def test_arabic_certificate_names_the_learner_in_arabic_with_her_gender(app, ctx, media_config):
    certificate, extracted = _certificate_text(locale="ar", gender="female", name_ar="ليلى حداد")
    assert certificate.student_name == "ليلى حداد"
    assert "ليلى حداد" in extracted and "Layla" not in extracted
    assert _bare("بأنّ الطالبة") in extracted and _bare("قد أتمّت الدورة") in extracted
    assert "الطالب\r" not in extracted and _bare("أتمّ الدورة") not in extracted


def test_arabic_certificate_of_a_male_learner_uses_the_masculine_forms(app, ctx, media_config):
    _, extracted = _certificate_text(locale="ar", gender="male", name_ar="خالد العمري")
    assert "خالد العمري" in extracted
    assert _bare("بأنّ الطالب") in extracted and _bare("قد أتمّ الدورة") in extracted
    assert "الطالبة" not in extracted and _bare("أتمّت") not in extracted


def test_arabic_certificate_without_gender_or_arabic_name_is_neutral_and_latin(app, ctx, media_config):
    certificate, extracted = _certificate_text(locale="ar")
    assert certificate.student_name == "Layla Haddad" and "Layla Haddad" in extracted
    assert "تشهد هذه الوثيقة بإتمام" in extracted and "للدورة" in extracted
    for gendered in ("الطالب", "أتمّ"):
        assert _bare(gendered) not in extracted


def test_english_certificate_keeps_the_latin_name_whatever_the_profile_says(app, ctx, media_config):
    certificate, extracted = _certificate_text(locale="en", gender="female", name_ar="ليلى حداد")
    assert certificate.student_name == "Layla Haddad"
    assert "Layla Haddad" in extracted and "ليلى" not in extracted
    assert "This certifies that" in extracted and "has completed the course" in extracted


def test_verification_url_uses_the_public_base_url_outside_requests(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://learn.example.org/")
    number = "CERT-7K3M-9QXD-F2TB-H8WN"
    assert certificates.verification_url(number) == f"https://learn.example.org/verify/{number}"
    with app.test_request_context():
        assert certificates.verification_url(number).endswith(f"/verify/{number}")


def test_html_in_a_name_is_text_and_nothing_remote_is_fetched(app, ctx, media_config):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    connections: list[Any] = []
    rendered = threading.Event()

    def accept() -> None:
        while not rendered.is_set():  # listen for as long as the certificate is being made
            with suppress(TimeoutError):
                connections.append(listener.accept())

    watcher = threading.Thread(target=accept)
    watcher.start()
    try:
        trap = f'<img src="http://127.0.0.1:{port}/x">'
        _, student, course = _completed(first_name="Eve", last_name=trap)
        certificate = certificates.issue_certificate(student.id, course.id)
        extracted = _page(_pdf(certificate)).get_textpage().get_text_range()
        with suppress(PdfError):  # even unescaped, the renderer's policy refuses remote images
            html_to_pdf(f'<html><body><img src="http://127.0.0.1:{port}/y"> text</body></html>')
    finally:
        rendered.set()
        watcher.join()
        listener.close()
    assert connections == []
    assert "<img" in extracted and f"127.0.0.1:{port}" in extracted  # shown as text, never loaded

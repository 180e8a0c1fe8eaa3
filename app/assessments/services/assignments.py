"""Assignments: submissions (files from the media library and/or text) under the due date, cut-off
and late policy, resubmission until graded, and grading with or without a rubric."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.assessments import notices
from app.assessments.models import (
    LATE_POLICIES,
    Assignment,
    RubricCriterion,
    RubricLevel,
    RubricScore,
    Submission,
)
from app.assessments.services.access import assignment_of, is_staff, require_learner, require_staff
from app.assessments.services.settings import (
    Errors,
    add_error,
    check_dates,
    check_lesson,
    check_order,
    check_position,
    check_weight,
    in_range,
    one_of,
    raise_errors,
)
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.html import plain_text, sanitize_html
from app.core.models import as_utc, cents, utcnow
from app.core.softdelete import parent, soft_delete
from app.core.targets import signed_in_user_id
from app.core.transactions import unique_insert
from app.courses.services.progress import require_open_lesson
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.media import services as media
from app.media.models import Media

SUBMISSION_KIND = "assignment_submission"
FEEDBACK_KIND = "attachment"
MAX_TEXT = 100_000
MAX_POINTS, MAX_FILES = 100_000, 100


def check_assignment(assignment: Assignment) -> None:
    """Settings in range and consistent, file types the submissions accept (stored lower-case, no dot)."""
    errors: Errors = {}
    check_dates(errors, assignment, "due_at", "cutoff_at")
    one_of(errors, assignment, "late_policy", LATE_POLICIES)
    penalty = _("The late penalty is a percentage from 0 to 100.")
    in_range(errors, assignment, "late_penalty_percent", 0, 100, penalty)
    points = _("The maximum points are above 0 and at most %(max)d.", max=MAX_POINTS)
    in_range(errors, assignment, "max_points", Decimal("0.01"), MAX_POINTS, points)  # two decimals kept
    files = _("At most %(max)d files may be handed in.", max=MAX_FILES)
    in_range(errors, assignment, "max_files", 0, MAX_FILES, files)
    kind = media.kind_limits(SUBMISSION_KIND)
    largest = kind.max_bytes // (1024 * 1024)
    size = _("The maximum file size is from 1 to %(max)d MB, or empty.", max=largest)
    in_range(errors, assignment, "max_file_mb", 1, largest, size)
    check_weight(errors, assignment)
    cutoff = _("The cut-off date cannot be before the due date.")
    check_order(errors, assignment, "due_at", "cutoff_at", cutoff, allow_equal=True)
    if assignment.allow_files is False and assignment.allow_text is False:
        add_error(errors, "allow_text", _("Accept files, text or both."))
    check_lesson(errors, assignment)
    _check_extensions(errors, assignment, kind.extensions)
    raise_errors(errors, _("The assignment settings are not valid."))


def _check_extensions(errors: Errors, assignment: Assignment, accepted: frozenset[str]) -> None:
    """Extensions the submissions kind accepts, stored lower-case without dots."""
    extensions = assignment.allowed_extensions or []
    if not isinstance(extensions, list) or not all(isinstance(ext, str) for ext in extensions):
        add_error(errors, "allowed_extensions", _('Give the accepted file types as a list, such as ["pdf"].'))
        return
    cleaned = sorted({ext.strip().lower().lstrip(".") for ext in extensions} - {""})
    unknown = [ext for ext in cleaned if ext not in accepted]
    if unknown:
        message = _("Not accepted for submissions: %(types)s.", types=", ".join(unknown))
        add_error(errors, "allowed_extensions", message)
    assignment.allowed_extensions = cleaned


def check_rubric_criterion(criterion: RubricCriterion) -> None:
    """A position from 0; an empty one puts the criterion last."""
    errors: Errors = {}
    check_position(errors, criterion, "rubric")
    raise_errors(errors, _("The rubric criterion is not valid."))


def check_rubric_level(level: RubricLevel) -> None:
    """Points from 0 to the largest maximum; an empty position puts the level last."""
    errors: Errors = {}
    message = _("Points are from 0 to %(max)d.", max=MAX_POINTS)
    in_range(errors, level, "points", 0, MAX_POINTS, message)
    check_position(errors, level, "criterion")
    raise_errors(errors, _("The rubric level is not valid."))


def files_of(item: Submission | Assignment, owner_type: str = "submission") -> list[Media]:
    """Files of a row: a submission's (`submission`), the grader's returned ones (`submission_feedback`),
    or an assignment's attachments (`assignment`)."""
    return list(
        db.session.scalars(
            select(Media)
            .where(Media.mediable_type == owner_type, Media.mediable_id == item.id)
            .order_by(Media.id)
        )
    )


def submission_of(assignment: Assignment, user_id: int) -> Submission | None:
    """The learner's submission row, if any."""
    return db.session.scalar(
        select(Submission).where(Submission.assignment_id == assignment.id, Submission.user_id == user_id)
    )


def lateness(assignment: Assignment, now: datetime) -> bool:
    """True when work handed in now is late; Forbidden when it may no longer be handed in."""
    due, cutoff = as_utc(assignment.due_at), as_utc(assignment.cutoff_at)
    if cutoff is not None and now > cutoff:
        raise Forbidden(_("The cut-off date has passed: submissions are closed."))
    late = due is not None and now > due
    if late and assignment.late_policy == "refuse":
        raise Forbidden(_("The due date has passed and this assignment does not accept late work."))
    return late


def _check_files(assignment: Assignment, files: list[tuple[str, bytes]]) -> None:
    """The assignment's own limits, narrower than the media kind's (which upload_files applies)."""
    if len(files) > assignment.max_files:
        raise Invalid(
            _("At most %(count)d files may be submitted.", count=assignment.max_files),
            {"file": [_("Too many files.")]},
        )
    allowed = {ext.lower().lstrip(".") for ext in assignment.allowed_extensions or []}
    limit = assignment.max_file_mb * 1024 * 1024 if assignment.max_file_mb else None
    errors: dict[str, list[str]] = {}
    for name, data in files:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if allowed and extension not in allowed:
            errors[name] = [_("Accepted types: %(types)s.", types=", ".join(sorted(allowed)))]
        elif limit is not None and len(data) > limit:
            errors[name] = [_("Files may be at most %(mb)d MB.", mb=assignment.max_file_mb)]
    if errors:
        raise Invalid(_("Some files were refused; nothing was submitted."), {"files": errors})


def _locked(submission: Submission) -> Submission:
    """The submission re-read under a row lock, its status loaded afterwards.

    Not joined in the locking query: when the row changed while we waited for the lock, PostgreSQL
    re-checks only the locked row and pairs it with the old status row, so a join would load None.
    """
    locked = db.session.scalar(
        select(Submission)
        .where(Submission.id == submission.id)
        .options(lazyload(Submission.status))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound()
    return locked


def _row_for(assignment: Assignment, user_id: int) -> Submission:
    row = submission_of(assignment, user_id)
    if row is not None:
        return row
    row = Submission(
        assignment_id=assignment.id,
        user_id=user_id,
        course_id=assignment.course_id,
        status_id=require_lookup_id("assignment_status", "not_submitted"),
    )
    try:
        with unique_insert(""):
            db.session.add(row)
    except Conflict:  # a parallel request created it (and committed: the insert waited for that)
        row = submission_of(assignment, user_id)
        if row is None:
            raise Conflict(_("Please try again.")) from None
    return row


def submit_assignment(
    user: Any,
    assignment: Assignment,
    *,
    text: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
    now: datetime | None = None,
) -> Submission:
    """Hand in (or hand in again, until graded) text and/or files. Files sent replace the earlier
    ones; text sent replaces the earlier text."""
    now = now or utcnow()
    user_id = require_learner(user, assignment.course)
    if not assignment.is_published:
        raise NotFound()
    if assignment.lesson is not None:
        require_open_lesson(user, assignment.lesson)
    files = files or []
    if files and not assignment.allow_files:
        raise Invalid(_("This assignment takes no files."), {"file": [_("Not accepted.")]})
    if text is not None and plain_text(text).strip() and not assignment.allow_text:
        raise Invalid(_("This assignment takes no text."), {"text": [_("Not accepted.")]})
    if text is not None and len(text) > MAX_TEXT:
        raise Invalid(_("The text is too long."), {"text": [_("Too long.")]})
    late = lateness(assignment, now)
    _check_files(assignment, files)
    existing = submission_of(assignment, user_id)
    if existing is not None and not can_edit_submission(user, existing):
        raise Conflict(_("This assignment has been graded: it can no longer be changed."))
    kept_text = sanitize_html(text) if text is not None else (existing.text if existing else None)
    kept_files = bool(files) or bool(existing and files_of(existing))
    if not (kept_text and plain_text(kept_text).strip()) and not kept_files:
        raise Invalid(_("Write something or attach a file."), {"text": [_("Required.")]})
    if files:
        media.validate_files(files, SUBMISSION_KIND)  # refused files create nothing at all
    row = _row_for(assignment, user_id)
    old_files = files_of(row) if files else []
    if files:
        media.store_files(files, SUBMISSION_KIND, user, "submission", row.id)
    for old in old_files:
        soft_delete(old)
    row = _locked(row)
    if row.status.code == "graded":  # graded while the files were uploading
        db.session.rollback()
        raise Conflict(_("This assignment has been graded: it can no longer be changed."))
    row.text = kept_text
    row.status_id = require_lookup_id("assignment_status", "submitted")
    row.submitted_at, row.is_late = now, late
    row.submission_count += 1
    db.session.flush()
    db.session.expire(row, ["status"])  # loaded above as the old status: read the new one
    notices.submission_to_grade(row)
    return row


def rubric_points(assignment: Assignment, levels: dict[Any, Any]) -> tuple[Decimal, list[RubricLevel]]:
    """Points from one level per criterion of the assignment's rubric, scaled to the assignment's
    maximum when the rubric's maximum differs."""
    rubric = assignment.rubric
    if rubric is None:
        raise Invalid(_("This assignment has no rubric."), {"levels": [_("No rubric.")]})
    if not isinstance(levels, dict):
        raise Invalid(_("Give a level for each criterion."), {"levels": [_("Not an object.")]})
    chosen: list[RubricLevel] = []
    errors: dict[str, list[str]] = {}
    maximum = Decimal("0")
    for criterion in rubric.criteria:
        maximum += max((level.points for level in criterion.levels), default=Decimal("0"))
        level_id = levels.get(str(criterion.id), levels.get(criterion.id))
        level = next((lv for lv in criterion.levels if str(lv.id) == str(level_id)), None)
        if level is None:
            errors[str(criterion.id)] = [_("Choose a level of this criterion.")]
        else:
            chosen.append(level)
    if errors:
        raise Invalid(_("Give a level for each criterion."), {"levels": errors})
    total = sum((level.points for level in chosen), Decimal("0"))
    if maximum and maximum != assignment.max_points:
        total = total * assignment.max_points / maximum
    return cents(total), chosen


def _checked_points(assignment: Assignment, points: Any) -> Decimal:
    try:
        value = cents(points)
    except Exception:
        raise Invalid(_("Points must be a number."), {"points": [_("Not a number.")]}) from None
    if not value.is_finite() or value < 0 or value > assignment.max_points:
        raise Invalid(
            _("Points must be between 0 and %(max)s.", max=assignment.max_points),
            {"points": [_("Out of range.")]},
        )
    return value


def grade_submission(
    grader: Any,
    submission: Submission,
    *,
    points: Any = None,
    levels: dict[Any, Any] | None = None,
    feedback: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> Submission:
    """Grade (or re-grade) a handed-in submission: rubric levels or points, the late penalty, feedback
    and returned files; the change is kept in the grade history."""
    from app.assessments.services.gradebook import record_grade_change

    assignment = assignment_of(submission)
    require_staff(grader, assignment.course)
    if submission.status.code == "not_submitted":
        raise Conflict(_("Nothing has been handed in yet."))
    if levels is not None:
        raw, chosen = rubric_points(assignment, levels)
    elif points is not None:
        raw, chosen = _checked_points(assignment, points), []
    else:
        raise Invalid(_("Give points or rubric levels."), {"points": [_("Required.")]})
    if files:
        media.upload_files(files, FEEDBACK_KIND, grader, "submission_feedback", submission.id)
    submission = _locked(submission)
    old = submission.points
    penalty = Decimal("0")
    if submission.is_late and assignment.late_policy == "penalty":
        penalty = cents(raw * assignment.late_penalty_percent / 100)
    for level in chosen:
        score = db.session.scalar(
            select(RubricScore).where(
                RubricScore.submission_id == submission.id, RubricScore.criterion_id == level.criterion_id
            )
        )
        if score is None:
            score = RubricScore(submission_id=submission.id, criterion_id=level.criterion_id)
            db.session.add(score)
        score.level_id, score.points = level.id, level.points
    submission.raw_points, submission.penalty_points = raw, penalty
    submission.points = max(Decimal("0"), raw - penalty)
    if feedback is not None:
        submission.feedback = sanitize_html(feedback)
    submission.status_id = require_lookup_id("assignment_status", "graded")
    submission.graded_at, submission.graded_by_id = utcnow(), signed_in_user_id(grader)
    if submission.points != old:
        record_grade_change(
            submission.course_id,
            submission.user_id,
            "assignment",
            assignment.id,
            old,
            submission.points,
            grader,
        )
    db.session.flush()  # the request around it commits once (transaction())
    notices.submission_graded(submission, grader)
    from app.courses.services.progress import refresh_completion

    refresh_completion(submission.user_id, assignment.course)
    return submission


def can_view_submission(user: Any, submission: Submission) -> bool:
    """The student who made it and the course's staff."""
    return signed_in_user_id(user) == submission.user_id or is_staff(user, assignment_of(submission).course)


def can_edit_submission(user: Any, submission: Submission) -> bool:
    """Its student, until it is graded."""
    return signed_in_user_id(user) == submission.user_id and submission.status.code != "graded"


def percent_of(submission: Submission | None) -> Decimal | None:
    """A graded submission's points as a percentage of the assignment's maximum."""
    if submission is None or submission.points is None or submission.status.code != "graded":
        return None
    return cents(100 * submission.points / parent(submission, "assignment").max_points)

"""Course structure: course -> sections -> lessons -> content items, resources, old slugs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.html import checked_url
from app.core.models import BaseModel, BigId, IdMixin, JsonType, Model, TimestampMixin
from app.core.translations import translated
from app.lookups.models import Lookup, lookup_fk
from app.media.models import Media
from app.security.models import LmsUser


class CourseInstructor(IdMixin, TimestampMixin, Model):
    """Link row: a user teaches a course (the `instructors` relationship's secondary table)."""

    __tablename__ = "course_instructor"
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_course_instructor_course_user"),)

    course_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("course.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True
    )


class CoursePrerequisite(IdMixin, TimestampMixin, Model):
    """Link row: a course requires another course to be completed first."""

    __tablename__ = "course_prerequisite"
    __table_args__ = (
        UniqueConstraint("course_id", "required_course_id", name="uq_course_prerequisite_pair"),
        CheckConstraint("course_id <> required_course_id", name="not_self"),
    )

    course_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("course.id", ondelete="CASCADE"), nullable=False, index=True
    )
    required_course_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("course.id", ondelete="CASCADE"), nullable=False, index=True
    )


course_instructor = CourseInstructor.__table__
course_prerequisite = CoursePrerequisite.__table__


class TranslatedTitleMixin:
    """`title` read from `translations` in the current language (English fallback)."""

    translations: Mapped[dict[str, Any]]

    @property
    def title(self) -> str:
        """The title in the viewer's language."""
        return translated(self.translations, "title")

    def __str__(self) -> str:
        return self.title or f"#{getattr(self, 'id', '')}"


class Course(TranslatedTitleMixin, BaseModel):
    """A course: bilingual texts, catalog facets, price, review state and counters."""

    __tablename__ = "course"
    __label__ = _l("Courses")
    __translatable__ = ("title", "subtitle", "description")
    __rich_text__ = ("description",)
    __audit_ignored__ = frozenset({"updated_at", "view_count", "enrollment_count", "search_text"})
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        # Partial, with the soft-delete filter's exact predicate: the catalog's count is index-only
        # and its newest-first page an index scan.
        Index(
            "ix_course_catalog",
            "status_id",
            "visibility_id",
            "published_at",
            "id",
            postgresql_where=text("is_deleted IS false"),
        ),
        # The back office lists courses most recently changed first.
        Index("ix_course_recent", "updated_at", "id", postgresql_where=text("is_deleted IS false")),
        # Trigram index: substring search in any language stays fast at 100k courses.
        Index(
            "ix_course_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    # Search filters the index serves first: equality on the unique slug, substring on the trigram index.
    slug: Mapped[str] = mapped_column(String(200), unique=True, nullable=False, info={"search": "equal"})
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    seo: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    # Lower-cased titles, subtitles and tags in every language: the catalog searches this one column.
    search_text: Mapped[str] = mapped_column(
        Text, default="", server_default="", nullable=False, info={"search": "contains"}
    )
    category_id: Mapped[int | None] = lookup_fk("course_categories")
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list, nullable=False)
    level_id: Mapped[int | None] = lookup_fk("course_levels")
    language_id: Mapped[int | None] = lookup_fk("languages")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    # Picked in forms from the media library (app.core.widgets): an image, uploaded as course material.
    cover_media_id: Mapped[int | None] = mapped_column(
        BigId,
        ForeignKey("media.id"),
        index=True,
        info={"media_kind": "course_material", "media_accept": "image"},
    )
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD", nullable=False)
    included_in_subscription: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true(), nullable=False
    )
    sequential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    # Opened through a subscription only by plans with the `premium_content` feature (or bought).
    is_premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    status_id: Mapped[int] = lookup_fk("course_status", nullable=False)
    visibility_id: Mapped[int] = lookup_fk("course_visibility", nullable=False)
    review_status_id: Mapped[int | None] = lookup_fk("course_review_status")
    review_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ab_user.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    view_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    enrollment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    category: Mapped[Lookup | None] = relationship(foreign_keys=[category_id])
    level: Mapped[Lookup | None] = relationship(foreign_keys=[level_id])
    language: Mapped[Lookup | None] = relationship(foreign_keys=[language_id])
    status: Mapped[Lookup] = relationship(foreign_keys=[status_id])
    visibility: Mapped[Lookup] = relationship(foreign_keys=[visibility_id])
    review_status: Mapped[Lookup | None] = relationship(foreign_keys=[review_status_id])
    reviewed_by: Mapped[LmsUser | None] = relationship(foreign_keys=[reviewed_by_id])
    cover: Mapped[Media | None] = relationship(foreign_keys=[cover_media_id])
    instructors: Mapped[list[LmsUser]] = relationship(secondary=course_instructor)
    prerequisites: Mapped[list[Course]] = relationship(
        secondary=course_prerequisite,
        primaryjoin=lambda: Course.id == course_prerequisite.c.course_id,
        secondaryjoin=lambda: Course.id == course_prerequisite.c.required_course_id,
    )
    sections: Mapped[list[CourseSection]] = relationship(
        back_populates="course", order_by="CourseSection.position"
    )

    @property
    def is_free(self) -> bool:
        """True when the course costs nothing."""
        return not self.price


class CourseSlug(BaseModel):
    """A slug a course used before: the portal answers it with a 301 to the current one."""

    __tablename__ = "course_slug"
    __label__ = _l("Old course addresses")

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)

    course: Mapped[Course] = relationship()

    def __str__(self) -> str:
        return self.slug


class CourseSection(TranslatedTitleMixin, BaseModel):
    """A chapter of a course, in order."""

    __tablename__ = "course_section"
    __label__ = _l("Sections")
    __translatable__ = ("title", "description")

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    course: Mapped[Course] = relationship(back_populates="sections")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="section", order_by="Lesson.position")


class Lesson(TranslatedTitleMixin, BaseModel):
    """A lesson of a section; `course_id` is kept for row scoping and progress."""

    __tablename__ = "lesson"
    __label__ = _l("Lessons")
    __translatable__ = ("title", "summary")

    section_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("course_section.id"), nullable=False, index=True
    )
    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    content_type_id: Mapped[int] = lookup_fk("content_types", nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    is_free_preview: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    is_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    # Open to buyers of the course and to plans with `premium_content` (staff always).
    is_premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)

    section: Mapped[CourseSection] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()
    content_type: Mapped[Lookup] = relationship(foreign_keys=[content_type_id])
    contents: Mapped[list[LessonContent]] = relationship(
        back_populates="lesson", order_by="LessonContent.position"
    )


class LessonContent(BaseModel):
    """One content item of a lesson: a video (file or external embed), document, rich text or embed."""

    __tablename__ = "lesson_content"
    __label__ = _l("Lesson content")
    __translatable__ = ("title", "body")
    __rich_text__ = ("body",)

    lesson_id: Mapped[int] = mapped_column(BigId, ForeignKey("lesson.id"), nullable=False, index=True)
    kind_id: Mapped[int] = lookup_fk("content_types", nullable=False)
    # Rich text in both languages (sanitized with nh3 by the service before it is stored).
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    media_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("media.id"), index=True, info={"media_kind": "course_material"}
    )
    external_url: Mapped[str | None] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    lesson: Mapped[Lesson] = relationship(back_populates="contents")
    kind: Mapped[Lookup] = relationship(foreign_keys=[kind_id])
    media: Mapped[Media | None] = relationship(foreign_keys=[media_id])

    @validates("external_url")
    def _check_external_url(self, _key: str, value: str | None) -> str | None:
        # Embedded in an iframe: https only.
        return checked_url(value, "external_url", https_only=True)

    def __str__(self) -> str:
        return translated(self.translations, "title") or f"{self.kind} #{self.id}"


class CourseResource(TranslatedTitleMixin, BaseModel):
    """A downloadable or linked resource of a whole course, one section or one lesson."""

    __tablename__ = "course_resource"
    __label__ = _l("Resources")
    __translatable__ = ("title", "description")
    __table_args__ = (CheckConstraint("media_id IS NOT NULL OR url IS NOT NULL", name="file_or_link"),)

    course_id: Mapped[int] = mapped_column(BigId, ForeignKey("course.id"), nullable=False, index=True)
    section_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("course_section.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lesson.id"), index=True)
    resource_type_id: Mapped[int] = lookup_fk("resource_types", nullable=False)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict, nullable=False)
    media_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("media.id"), index=True, info={"media_kind": "course_material"}
    )
    url: Mapped[str | None] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    course: Mapped[Course] = relationship()
    section: Mapped[CourseSection | None] = relationship()
    lesson: Mapped[Lesson | None] = relationship()
    resource_type: Mapped[Lookup] = relationship(foreign_keys=[resource_type_id])
    media: Mapped[Media | None] = relationship(foreign_keys=[media_id])

    @validates("url")
    def _check_url(self, _key: str, value: str | None) -> str | None:
        return checked_url(value, "url")

    @property
    def level(self) -> str:
        """Where the resource applies: course, section or lesson."""
        return "lesson" if self.lesson_id else "section" if self.section_id else "course"

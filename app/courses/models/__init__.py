"""Models of the courses module (split by concern to keep files short)."""

from app.courses.models.course import (
    Course,
    CourseInstructor,
    CourseResource,
    CourseSection,
    CourseSlug,
    Lesson,
    LessonContent,
    course_instructor,
    course_prerequisite,
)
from app.courses.models.enrollment import CoursePurchase, Enrollment, LessonProgress
from app.courses.models.notes import Note, NoteLike, NoteRevision

__all__ = [
    "Course",
    "CourseInstructor",
    "CoursePurchase",
    "CourseResource",
    "CourseSection",
    "CourseSlug",
    "Enrollment",
    "Lesson",
    "LessonContent",
    "LessonProgress",
    "Note",
    "NoteLike",
    "NoteRevision",
    "course_instructor",
    "course_prerequisite",
]

"""Courses' signals ("something happened"): modules above courses listen without courses knowing them.

Receivers are connected in the listening module's `register()` (assessments issues certificates on
`course_completed`). Rules that courses must *ask* (may this learner complete?) are a registry instead:
`services.progress.register_completion_rule`.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent after the commit that completed a course, with sender=None and `user_id=`, `course_id=`; a
# failing receiver is logged and does not undo the completion (`progress._after_completion`).
course_completed = _signals.signal("course-completed")

# Sent inside the enrolling transaction when a learner is enrolled (new, or back after a drop or an
# expiry), with the Enrollment as the sender and `source=` ("self", "instructor", "purchase"...).
enrollment_created = _signals.signal("enrollment-created")

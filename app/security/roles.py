"""The PRD section 5 permission matrix, as data, and its idempotent sync (`flask app init`).

Every view or API registers a permission resource (FAB's `class_permission_name`). Each resource
must appear in MATRIX, mapping the non-admin roles to the permissions they hold on it. Admin holds
every permission on every resource. Menu entries follow: a role sees a menu item when it holds a
permission on the view behind it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import appbuilder, db

ADMIN = "Admin"
INSTRUCTOR = "Instructor"
RECRUITER = "Recruiter"
STUDENT = "Student"
ROLES = (ADMIN, INSTRUCTOR, RECRUITER, STUDENT)
NON_ADMIN_ROLES = (INSTRUCTOR, RECRUITER, STUDENT)
# Roles that take courses, quizzes and plans. Recruiters post jobs and review candidates (PRD 5):
# they hold only their own account; a recruiter who also learns is given the Student role too.
LEARNER_ROLES = (INSTRUCTOR, STUDENT)

READ = frozenset({"can_read"})
READ_WRITE = frozenset({"can_read", "can_write"})
ADMIN_ONLY: dict[str, frozenset[str]] = {}


def everyone(permissions: frozenset[str]) -> dict[str, frozenset[str]]:
    """The same permissions for every non-admin role."""
    return {role: permissions for role in NON_ADMIN_ROLES}


def learners(permissions: frozenset[str]) -> dict[str, frozenset[str]]:
    """The same permissions for every role that learns (not recruiters)."""
    return {role: permissions for role in LEARNER_ROLES}


def can_learn(user: Any) -> bool:
    """True when one of the user's roles takes courses (a recruiter-only account does not)."""
    return any(role.name in (ADMIN, *LEARNER_ROLES) for role in getattr(user, "roles", ()))


OWN_PROFILE = frozenset({"can_this_form_get", "can_this_form_post"})

MATRIX: dict[str, dict[str, frozenset[str]]] = {
    # Own account: profile, own password, own activity (every signed-in role)
    "LmsUserInfoEditView": everyone(OWN_PROFILE),
    "ResetMyPasswordView": everyone(OWN_PROFILE),
    "LmsUserDBModelView": everyone(frozenset({"can_userinfo", "resetmypassword", "userinfoedit"})),
    "MyActivity": everyone(READ),
    # API documentation and the menu API
    "OpenApi": everyone(frozenset({"can_get"})),
    "SwaggerView": everyone(frozenset({"can_show"})),
    "MenuApi": everyone(frozenset({"can_get"})),
    # User management, roles, permissions: admins only
    "ResetPasswordView": ADMIN_ONLY,
    "RoleModelView": ADMIN_ONLY,
    "UserGroupModelView": ADMIN_ONLY,
    "RegisterUserModelView": ADMIN_ONLY,
    "PermissionModelView": ADMIN_ONLY,
    "ViewMenuModelView": ADMIN_ONLY,
    "PermissionViewModelView": ADMIN_ONLY,
    "User": ADMIN_ONLY,
    "Role": ADMIN_ONLY,
    "Group": ADMIN_ONLY,
    "Permission": ADMIN_ONLY,
    "ViewMenu": ADMIN_ONLY,
    "PermissionViewMenu": ADMIN_ONLY,
    # Media: everyone uploads and fetches files through the API (rows are scoped to the
    # uploader, downloads to the owner's rule); the library and storage browser are for admins.
    "Media": everyone(READ_WRITE),
    "MediaLibrary": ADMIN_ONLY,
    # The picker of rich text editors and media fields in the back office (own files; admins all).
    "MediaPicker": {INSTRUCTOR: READ_WRITE},
    "StorageBrowser": ADMIN_ONLY,
    # Courses (PRD 3.1). Back-office screens ("...Admin"): instructors, scoped to their own
    # courses by base filters and object checks; students never see them. APIs: everyone reads
    # what the row filters allow, and acts through verb permissions.
    "CourseAdmin": {INSTRUCTOR: READ_WRITE | {"can_reorder", "can_review"}},
    "CourseSectionAdmin": {INSTRUCTOR: READ_WRITE},
    "LessonAdmin": {INSTRUCTOR: READ_WRITE},
    "LessonContentAdmin": {INSTRUCTOR: READ_WRITE},
    "CourseResourceAdmin": {INSTRUCTOR: READ_WRITE},
    "EnrollmentAdmin": {INSTRUCTOR: READ_WRITE | {"can_import"}},
    "NoteAdmin": {INSTRUCTOR: READ_WRITE},
    "CourseAnalytics": {INSTRUCTOR: READ},
    "CourseOutline": {INSTRUCTOR: frozenset({"can_write"})},
    "CoursePurchaseAdmin": ADMIN_ONLY,
    "Course": {
        **learners(READ | {"can_enroll"}),
        INSTRUCTOR: READ_WRITE | {"can_enroll", "can_reorder", "can_review"},
    },
    "CourseSection": {**learners(READ), INSTRUCTOR: READ_WRITE | {"can_reorder"}},
    "Lesson": {
        **learners(READ | {"can_complete", "can_heartbeat"}),
        INSTRUCTOR: READ_WRITE | {"can_complete", "can_heartbeat"},
    },
    "LessonContent": {**learners(READ), INSTRUCTOR: READ_WRITE},
    "CourseResource": {**learners(READ), INSTRUCTOR: READ_WRITE},
    "Enrollment": {**learners(READ | {"can_drop"}), INSTRUCTOR: READ_WRITE | {"can_drop", "can_import"}},
    "LessonProgress": learners(READ),
    "Note": learners(READ_WRITE | {"can_like"}),
    "CoursePurchase": ADMIN_ONLY,
    # Assessments (PRD 3.1.3, 3.1.5, 3.11.2). Back office: instructors on their own courses, banks
    # and rubrics. APIs: banks and questions (which hold the answers) are staff-only; learners read
    # quizzes, assignments, their own attempts, submissions, grades and certificates, and act
    # through verbs.
    "QuestionBankAdmin": {INSTRUCTOR: READ_WRITE | {"can_import"}},
    "QuestionAdmin": {INSTRUCTOR: READ_WRITE},
    "QuestionOptionAdmin": {INSTRUCTOR: READ_WRITE},
    "QuizAdmin": {INSTRUCTOR: READ_WRITE},
    "QuizEditor": {INSTRUCTOR: frozenset({"can_write"})},
    "QuizQuestionAdmin": {INSTRUCTOR: READ_WRITE},
    "QuizDrawAdmin": {INSTRUCTOR: READ_WRITE},
    "QuizOverrideAdmin": {INSTRUCTOR: READ_WRITE},
    "QuizAttemptAdmin": {INSTRUCTOR: READ | {"can_grade"}},
    "RubricAdmin": {INSTRUCTOR: READ_WRITE},
    "RubricCriterionAdmin": {INSTRUCTOR: READ_WRITE},
    "RubricLevelAdmin": {INSTRUCTOR: READ_WRITE},
    "AssignmentAdmin": {INSTRUCTOR: READ_WRITE},
    "SubmissionAdmin": {INSTRUCTOR: READ | {"can_grade"}},
    "CourseCompletionAdmin": {INSTRUCTOR: READ_WRITE},
    "CertificateAdmin": {INSTRUCTOR: READ | {"can_revoke", "can_reissue"}},
    "GradeChangeAdmin": {INSTRUCTOR: READ},
    "Gradebook": {INSTRUCTOR: READ},
    "QuestionBank": {INSTRUCTOR: READ_WRITE | {"can_import"}},
    "Question": {INSTRUCTOR: READ_WRITE},
    "QuestionOption": {INSTRUCTOR: READ_WRITE},
    "Quiz": {**learners(READ | {"can_start"}), INSTRUCTOR: READ_WRITE | {"can_start"}},
    "QuizQuestion": {INSTRUCTOR: READ_WRITE},
    "QuizDraw": {INSTRUCTOR: READ_WRITE},
    "QuizOverride": {INSTRUCTOR: READ_WRITE},
    "QuizAttempt": {
        **learners(READ | {"can_answer", "can_submit"}),
        INSTRUCTOR: READ | {"can_answer", "can_submit", "can_grade"},
    },
    "AttemptAnswer": learners(READ),
    "Rubric": {**learners(READ), INSTRUCTOR: READ_WRITE},
    "RubricCriterion": {**learners(READ), INSTRUCTOR: READ_WRITE},
    "RubricLevel": {**learners(READ), INSTRUCTOR: READ_WRITE},
    "Assignment": {**learners(READ | {"can_submit"}), INSTRUCTOR: READ_WRITE | {"can_submit"}},
    "Submission": {**learners(READ), INSTRUCTOR: READ | {"can_grade"}},
    "RubricScore": learners(READ),
    "GradeChange": {INSTRUCTOR: READ},
    "CourseCompletion": {**learners(READ), INSTRUCTOR: READ_WRITE},
    "Certificate": {
        **learners(READ | {"can_download"}),
        INSTRUCTOR: READ | {"can_download", "can_issue", "can_revoke", "can_reissue"},
    },
    # Billing back office (PRD 3.2, 3.11.1, 7.2): admins manage plans, subscriptions, payments,
    # invoices and webhook deliveries, and read the revenue dashboard.
    "PlanAdmin": ADMIN_ONLY,
    "PlanFeatureAdmin": ADMIN_ONLY,
    "SubscriptionAdmin": ADMIN_ONLY,
    "PaymentAdmin": ADMIN_ONLY,
    "InvoiceAdmin": ADMIN_ONLY,
    "WebhookEventAdmin": ADMIN_ONLY,
    "RevenueDashboard": ADMIN_ONLY,
    # Billing APIs: signed-in users read the active plans and subscribe, read their own
    # subscriptions, payments and invoices (row filters) and act on them through verbs; admins
    # write plans, refund and confirm manual payments, and read webhook deliveries.
    "Plan": learners(READ | {"can_subscribe"}),
    "PlanFeature": learners(READ),
    "Subscription": learners(READ | {"can_change_plan", "can_cancel", "can_auto_renew", "can_renew"}),
    "Payment": learners(READ | {"can_purchase"}),
    "Invoice": learners(READ | {"can_download"}),
    "WebhookEvent": ADMIN_ONLY,
    # Comments (universal): everyone writes and flags; course staff moderate on their own courses.
    "Comment": {**learners(READ_WRITE | {"can_flag"}), INSTRUCTOR: READ_WRITE | {"can_flag", "can_moderate"}},
    "CommentAdmin": {INSTRUCTOR: READ_WRITE},
    # Favorites: everyone keeps their own (rows filtered to the caller, admins included); course
    # staff read who favorited what they moderate.
    "Favorite": everyone(READ_WRITE),
    "FavoriteCollection": everyone(READ_WRITE),
    "FavoriteAdmin": {INSTRUCTOR: READ},
    # Reactions (universal): learners react to what they see; course staff read those on their courses.
    "Reaction": learners(READ_WRITE),
    "ReactionAdmin": {INSTRUCTOR: READ},
    # Shares and referrals: learners share what they see, read their own code, shares and results;
    # course staff read shares, referrals and figures of their own courses.
    "Share": learners(READ_WRITE),
    "ShareAdmin": {INSTRUCTOR: READ},
    "Referral": {**learners(READ), INSTRUCTOR: READ | {"can_figures"}},
    "ReferralAdmin": {INSTRUCTOR: READ},
    "ReferralFigures": {INSTRUCTOR: READ},
    # View counts (universal): anyone signed in reads the count of what they may see.
    "ViewCount": everyone(READ),
    # Notifications: everyone reads and manages their own (rows are filtered to the recipient);
    # admins set the default channels of each type.
    "Notification": everyone(READ_WRITE),
    "NotificationInbox": everyone(READ_WRITE),
    "NotificationPush": everyone(frozenset({"can_write"})),
    "NotificationDefaults": ADMIN_ONLY,
    # System settings and trash; the audit log: admins all of it, instructors their courses' rows
    "LookupType": ADMIN_ONLY,
    "Lookup": ADMIN_ONLY,
    "AuditLog": {INSTRUCTOR: READ},
    "AuditViews": {INSTRUCTOR: READ},  # the "viewed" rows, in the same scope as the log
    "Trash": ADMIN_ONLY,
}


def _landing_permission(view: Any) -> tuple[str, str] | None:
    """The permission a menu entry's page needs: the one of the view's default route."""
    method = getattr(view, view.default_view, None)
    raw = getattr(method, "_permission_name", None)
    if raw is None:
        return None
    name = (view.method_permission_name or {}).get(view.default_view) or raw
    permission = name if name.startswith("can_") else f"can_{name}"
    return permission, view.class_permission_name


def _menu_permissions(granted: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """menu_access on every menu entry whose page the role may open, and on its category."""
    names: list[tuple[str, str]] = []
    for category in appbuilder.menu.get_list():
        entries = category.childs or [category]
        visible = [
            entry.name
            for entry in entries
            if entry.baseview is not None and _landing_permission(entry.baseview) in granted
        ]
        if visible:
            names.append(("menu_access", category.name))
            names.extend(("menu_access", name) for name in visible if name != category.name)
    return names


# Resources every member holds (own profile, password and activity; the shared APIs): screens on
# them are a member's account, not a reason to call someone staff.
MEMBER_RESOURCES = frozenset(
    resource for resource, grants in MATRIX.items() if all(grants.get(role) for role in NON_ADMIN_ROLES)
)


def has_back_office_screens(user: Any) -> bool:
    """Staff: the user's permissions open a back-office screen beyond their own account's."""
    granted = appbuilder.sm.request_permissions(user)
    for category in appbuilder.menu.get_list():
        for entry in category.childs or [category]:
            landing = entry.baseview is not None and _landing_permission(entry.baseview)
            if landing and landing[1] not in MEMBER_RESOURCES and landing in granted:
                return True
    return False


def ensure_roles() -> dict[str, Any]:
    """The four roles, created when missing."""
    sm = appbuilder.sm
    return {name: sm.find_role(name) or sm.add_role(name) for name in ROLES}


def sync_roles() -> list[str]:
    """Create the four roles and set their permissions exactly as the matrix says."""
    sm = appbuilder.sm
    resources = {
        view.class_permission_name
        for view in appbuilder.baseviews
        if view.base_permissions or getattr(view, "class_permission_name", None) in MATRIX
    }
    missing = sorted(r for r in resources if r not in MATRIX and _has_permissions(r))
    if missing:
        raise KeyError(f"No role-matrix entry for: {', '.join(missing)}")
    roles = ensure_roles()
    roles[ADMIN].permissions = list(db.session.scalars(select(sm.permissionview_model)))
    for role_name in NON_ADMIN_ROLES:
        wanted = [
            (permission, resource)
            for resource, grants in MATRIX.items()
            for permission in sorted(grants.get(role_name, ()))
        ]
        wanted.extend(_menu_permissions(set(wanted)))
        permission_views = [sm.find_permission_view_menu(p, v) for p, v in wanted]
        roles[role_name].permissions = [pv for pv in permission_views if pv is not None]
    db.session.flush()
    return list(ROLES)


def _has_permissions(resource: str) -> bool:
    return any(
        view.base_permissions for view in appbuilder.baseviews if view.class_permission_name == resource
    )


def role_permissions(role_name: str) -> set[tuple[str, str]]:
    """(permission, resource) pairs the role holds in the database."""
    role: Any = appbuilder.sm.find_role(role_name)
    if role is None:
        return set()
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}

"""REST API of assessments: /api/v1/question_bank (CSV import and export), question (written through
`services.banks`, options inline), question_option; the other resources are in `api_quizzes`,
`api_assignments` and `api_grades`. `APIS` lists every class for `register()`.

Banks, questions and options hold the answers: only their managers read them (admins, the bank's
owner, the staff of its course).
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.assessments.api_assignments import (
    AssignmentApi,
    RubricApi,
    RubricCriterionApi,
    RubricLevelApi,
    RubricScoreApi,
    SubmissionApi,
)
from app.assessments.api_base import (
    CRUD_ROUTES,
    AssessmentApiBase,
    fetch,
    uploaded_files,
)
from app.assessments.api_grades import CertificateApi, CourseCompletionApi, GradebookApi, GradeChangeApi
from app.assessments.api_quizzes import (
    AttemptAnswerApi,
    QuizApi,
    QuizAttemptApi,
    QuizDrawApi,
    QuizOverrideApi,
    QuizQuestionApi,
)
from app.assessments.models import Question, QuestionBank, QuestionOption
from app.assessments.services import banks
from app.assessments.services.access import require_bank_manager, settle_owner
from app.core.api import SYSTEM, BaseModelRestApi, json_object
from app.core.errors import Invalid, TooLarge
from app.core.interface import SQLAInterface
from app.core.softdelete import parent
from app.extensions import db

CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream")


class QuestionBankApi(AssessmentApiBase):
    """Banks the user manages; CSV import and export of their questions."""

    datamodel = SQLAInterface(QuestionBank)
    class_permission_name = "QuestionBank"
    include_route_methods = CRUD_ROUTES | {"import_questions", "export_questions"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "import_questions": "import",
        "export_questions": "read",
    }
    optional_add_columns = ("owner_id", "course_id")
    list_columns = show_columns = [*SYSTEM, "owner_id", "course_id", "title", "translations"]
    add_columns = edit_columns = ["owner_id", "course_id", "translations"]
    search_columns = ["owner_id", "course_id"]
    order_columns = ["id", "created_at", "updated_at"]
    base_order = ("id", "desc")
    rich_text_fields = ("description",)
    needs_title = True

    def prepare(self, item: QuestionBank) -> None:
        """A new one belongs to its creator; only admins name another owner."""
        settle_owner(item, g.user)
        super().prepare(item)

    @expose("/<int:pk>/import", methods=["POST"])
    @protect()
    @safe
    @permission_name("import")
    def import_questions(self, pk: int) -> Response:
        """Add the questions of a CSV (multipart `file`, or a text/csv body): all of them or none."""

        def act() -> Response:
            bank = self.scoped(pk)
            require_bank_manager(g.user, bank)
            files = uploaded_files()
            try:
                data = files[0][1] if files else b""
                if not files and request.mimetype in CSV_TYPES:
                    data = request.get_data()
            except RequestEntityTooLarge:
                raise TooLarge() from None
            if not data:
                raise Invalid(_("Send the CSV in the `file` field."), {"file": [_("Required.")]})
            report = banks.import_questions_csv(g.user, bank, data)
            return self.response(200, id=bank.id, **report)

        return self.run(act)

    @expose("/<int:pk>/export", methods=["GET"])
    @protect()
    @safe
    @permission_name("read")
    def export_questions(self, pk: int) -> Response:
        """The bank's questions as a CSV attachment (the import format)."""

        def act() -> Response:
            bank = self.scoped(pk)
            require_bank_manager(g.user, bank)
            return Response(
                banks.export_questions_csv(bank),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="question-bank-{bank.id}.csv"'},
            )

        return self.run(act)


QUESTION_COLUMNS = [
    *SYSTEM,
    "bank_id",
    "question_type.code",
    "translations",
    "points",
    "tags",
    "multiple_answers",
    "accepted_answers",
    "case_sensitive",
    "position",
]


def option_data(option: QuestionOption) -> dict[str, Any]:
    """An option as the question's managers see it."""
    return {
        "id": option.id,
        "translations": option.translations,
        "is_correct": option.is_correct,
        "position": option.position,
    }


class QuestionApi(AssessmentApiBase):
    """Questions of managed banks, created and changed through `services.banks` (the type rules)."""

    datamodel = SQLAInterface(Question)
    class_permission_name = "Question"
    include_route_methods = CRUD_ROUTES
    list_columns = show_columns = QUESTION_COLUMNS
    add_columns = edit_columns = [
        "bank_id",
        "question_type",
        "translations",
        "points",
        "tags",
        "multiple_answers",
        "accepted_answers",
        "case_sensitive",
    ]
    search_columns = ["bank_id", "question_type", "points", "position"]
    order_columns = ["position", "id", "points", "updated_at"]
    base_order = ("position", "asc")

    @staticmethod
    def _fields(body: dict[str, Any]) -> dict[str, Any]:
        """The question fields of a body (without `bank_id`); 422 for unknown ones."""
        unknown = set(body) - banks.QUESTION_FIELDS - {"bank_id"}
        if unknown:
            raise Invalid(_("Unknown fields."), {name: [_("Unknown field.")] for name in sorted(unknown)})
        return {key: value for key, value in body.items() if key != "bank_id"}

    def _dump(self, status: int, question: Question) -> Response:
        """The question with its options."""
        result = self.show_model_schema.dump(question)
        result["options"] = [option_data(option) for option in question.options]
        return self.response(status, id=question.id, result=result)

    def post_headless(self) -> Response:
        """Create: {"bank_id", "type", "translations", "points", "options": [{...}], ...}."""

        def act() -> Response:
            body = json_object()
            bank = fetch(QuestionBank, body.get("bank_id"), "bank_id")
            fields = self._fields(body)
            for required in ("type", "translations"):
                if required not in fields:
                    raise Invalid(_("'%(field)s' is required.", field=required), {required: [_("Required.")]})
            return self._dump(201, banks.create_question(g.user, bank, **fields))

        return self.run(act)

    def put_headless(self, pk: Any) -> Response:
        """Change some fields (`options` replaces the list; an option's `id` keeps it); `bank_id` moves it."""

        def act() -> Response:
            question = self._stored(pk)
            if question is None:
                return self.response_404()
            body = json_object()
            fields = self._fields(body)
            require_bank_manager(g.user, question.bank)
            if "bank_id" in body and body["bank_id"] != question.bank_id:
                bank = fetch(QuestionBank, body["bank_id"], "bank_id")
                require_bank_manager(g.user, bank)
                question.bank = bank
            return self._dump(200, banks.update_question(g.user, question, **fields))

        return self.run(act)

    def _with_options(self, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Add each question's options to its row (one query)."""
        ids = [int(pk) for pk, _row in rows]
        options: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
        query = (
            select(QuestionOption)
            .where(QuestionOption.question_id.in_(ids))
            .order_by(QuestionOption.position, QuestionOption.id)
        )
        for option in db.session.scalars(query):
            options[option.question_id].append(option_data(option))
        for pk, row in rows:
            row["options"] = options[int(pk)]

    def pre_get(self, data: dict[str, Any]) -> None:
        """The options come with the question."""
        self._with_options([(data["id"], data["result"])])

    def pre_get_list(self, data: dict[str, Any]) -> None:
        """The options come with each question."""
        self._with_options(list(zip(data.get("ids", []), data.get("result", []), strict=False)))


class QuestionOptionApi(AssessmentApiBase):
    """Options of questions in managed banks; every change keeps the question's type rules."""

    datamodel = SQLAInterface(QuestionOption)
    class_permission_name = "QuestionOption"
    include_route_methods = CRUD_ROUTES
    optional_add_columns = ("is_correct", "position")
    list_columns = show_columns = [*SYSTEM, "question_id", "translations", "is_correct", "position"]
    add_columns = ["question_id", "translations", "is_correct", "position"]
    edit_columns = ["translations", "is_correct", "position"]
    search_columns = ["question_id", "is_correct"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")
    rich_text_fields = ("text", "feedback")

    def check(self, item: QuestionOption) -> None:
        """The question with this option added or changed still keeps its type's rules."""
        question = parent(item, "question")
        others = [option for option in question.options if option.id is None or option.id != item.id]
        banks.place_option(item, question)
        banks.check_question(question, [*others, item])

    def pre_delete(self, item: QuestionOption) -> None:
        """The question without this option still keeps its type's rules."""
        super().pre_delete(item)
        with db.session.no_autoflush:
            question = parent(item, "question")
            banks.check_question(question, [option for option in question.options if option.id != item.id])


APIS = (
    QuestionBankApi,
    QuestionApi,
    QuestionOptionApi,
    QuizApi,
    QuizQuestionApi,
    QuizDrawApi,
    QuizOverrideApi,
    QuizAttemptApi,
    AttemptAnswerApi,
    RubricApi,
    RubricCriterionApi,
    RubricLevelApi,
    AssignmentApi,
    SubmissionApi,
    RubricScoreApi,
    GradeChangeApi,
    CourseCompletionApi,
    CertificateApi,
    GradebookApi,
)

"""What every module inherits: explicit columns, row-scoped bulk actions, the CLI set-up."""

from __future__ import annotations

from flask import g
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_login import login_user
from sqlalchemy import func, select, text

from app.core.api import BaseModelRestApi
from app.core.views import BaseModelView
from app.extensions import appbuilder, db
from app.lookups.models import Lookup
from app.lookups.views import LookupModelView
from app.security.models import LmsUser
from tests.factories import make_lookup, make_lookup_type, make_user


def test_our_views_and_apis_declare_their_columns_explicitly(app):
    ours = [v for v in appbuilder.baseviews if isinstance(v, BaseModelView | BaseModelRestApi)]
    assert len(ours) >= 8
    for view in ours:
        declared = {}
        for klass in type(view).__mro__:
            if klass in (BaseModelView, BaseModelRestApi):
                break
            declared.update(vars(klass))
        for attr in ("list_columns", "search_columns", "show_columns"):
            assert attr in declared, f"{type(view).__name__} must declare {attr}"


class OnlyMineLookupView(LookupModelView):
    """A view scoped by base_filters, like an instructor's own courses."""

    base_filters = [["code", FilterEqual, "mine"]]


def test_bulk_actions_respect_base_filters(app):
    view = OnlyMineLookupView()
    view.appbuilder = appbuilder
    with app.app_context():
        ltype = make_lookup_type()
        mine = make_lookup(ltype, code="mine")
        theirs = make_lookup(ltype, code="theirs")
        admin = make_user("Admin")
        ids = [str(mine.id), str(theirs.id)]
        with app.test_request_context(
            "/onlymine/action_post",
            method="POST",
            data={"action": "soft_delete_selected", "rowid": ids},
        ):
            login_user(admin)
            g.user = admin
            response = view.action_post()
            assert response.status_code == 302
        states = dict(
            db.session.execute(
                select(Lookup.code, Lookup.is_deleted)
                .where(Lookup.type_id == ltype.id)
                .execution_options(include_deleted=True)
            ).all()
        )
    assert states == {"mine": True, "theirs": False}


def test_app_init_is_idempotent_and_prints_the_admin_password_once(app, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    runner = app.test_cli_runner()
    with app.app_context():
        admin = db.session.scalar(select(LmsUser).where(LmsUser.username == "admin"))
        assert admin is None
    first = runner.invoke(args=["app", "init", "--no-demo"])
    assert first.exit_code == 0, first.output
    assert "Generated admin password (shown once)" in first.output
    password = first.output.split("(shown once): ", 1)[1].split()[0]
    second = runner.invoke(args=["app", "init", "--no-demo"])
    assert second.exit_code == 0, second.output
    assert "Generated admin password" not in second.output
    assert "'types_created': 0, 'values_created': 0" in second.output
    with app.app_context():
        admins = db.session.scalar(
            select(func.count()).select_from(LmsUser).where(LmsUser.username == "admin")
        )
        assert admins == 1
    browser = app.test_client()
    response = browser.post("/login/", data={"username": "admin", "password": password})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_admin_password_comes_from_the_environment_and_obeys_the_policy(app, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("ADMIN_PASSWORD", "short")
    refused = runner.invoke(args=["app", "init", "--no-demo"])
    assert refused.exit_code != 0 and "ADMIN_PASSWORD refused" in refused.output
    monkeypatch.setenv("ADMIN_PASSWORD", "a long enough admin passphrase")
    accepted = runner.invoke(args=["app", "init", "--no-demo"])
    assert accepted.exit_code == 0 and "Generated" not in accepted.output
    response = app.test_client().post(
        "/login/", data={"username": "admin", "password": "a long enough admin passphrase"}
    )
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_demo_seed_creates_each_role_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0 and "student /" in first.output
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "student /" not in second.output
    with app.app_context():
        roles = {
            user.username: [r.name for r in user.roles]
            for user in db.session.scalars(select(LmsUser).where(LmsUser.email.like("%@example.com")))
        }
    assert roles["instructor"] == ["Instructor"]
    assert roles["recruiter"] == ["Recruiter"]
    assert roles["student"] == ["Student"]


def test_user_ids_and_every_foreign_key_to_ab_user_are_bigint(app):
    # PRD 6.1: read the migrated PostgreSQL database itself, not the models.
    with app.app_context():
        connection = db.session.connection()
        references = connection.execute(
            text(
                "SELECT kcu.table_name, kcu.column_name"
                " FROM information_schema.referential_constraints rc"
                " JOIN information_schema.key_column_usage kcu"
                "   ON kcu.constraint_name = rc.constraint_name"
                "  AND kcu.constraint_schema = rc.constraint_schema"
                " JOIN information_schema.constraint_column_usage ccu"
                "   ON ccu.constraint_name = rc.unique_constraint_name"
                "  AND ccu.constraint_schema = rc.unique_constraint_schema"
                " WHERE ccu.table_name = 'ab_user' AND ccu.column_name = 'id'"
            )
        ).all()
        columns = [("ab_user", "id"), *references]
        types = {
            (table, column): connection.execute(
                text(
                    "SELECT data_type FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = :t AND column_name = :c"
                ),
                {"t": table, "c": column},
            ).scalar_one()
            for table, column in columns
        }
        sequence_type = connection.execute(
            text("SELECT data_type FROM information_schema.sequences WHERE sequence_name = 'ab_user_id_seq'")
        ).scalar_one()
    assert {("ab_user", "created_by_fk"), ("ab_user_role", "user_id"), ("enrollment", "user_id")} <= set(
        references
    )
    assert len(references) >= 30
    assert {key: kind for key, kind in types.items() if kind != "bigint"} == {}
    assert sequence_type == "bigint"

"""Benchmark: every course list (portal, back office, REST) at 1k and 100k courses, and FAB's REST
list against a bare route running the same SQL with the same auth.

Run from the repository root with `.venv/bin/python -m bench.lists`. It reuses the database and
the generated courses of `bench.courses_catalog` (`lms_bench_courses`, rebuilt), adds the bare
route to the app inside the bench only, then prints in one run:

- each list at 100k rows / the same list at 1k rows (goal <= 1.5);
- FAB's REST list / the bare route, at each size (goal <= 2);
- SQL statements per list page (the `X-Query-Count` header; goal <= 8).

The bare route does what FAB's list does minus FAB: it verifies the JWT, asks the security
manager for `can_read` on `Course`, runs the course API's datamodel query (same filters, order,
page and select columns: the same SQL) and dumps the rows with the API's own schema.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.audit_list import jwt_headers
from bench.courses_catalog import SIZES, Case, Result, build_app, fill_to, measure, ui_client

GOAL_GROWTH, GOAL_BARE, GOAL_STATEMENTS = 1.5, 2.0, 8
BARE_URL = "/bench/bare/course/"

CASES = (
    Case("portal catalog", "/courses/"),
    Case("portal catalog page 50", "/courses/?page=50"),
    Case("back-office list", "/coursemodelview/list/", who="admin"),
    Case("back-office filtered", "/coursemodelview/list/?_flt_0_status=__published__", who="admin"),
    Case("REST list", "/api/v1/course/", who="api"),
    Case("bare route", BARE_URL, who="api"),
)


def add_bare_route(app: Any) -> None:
    """The REST list's work without FAB: JWT, permission check, the same query and schema."""
    from flask import abort, current_app, jsonify
    from flask_jwt_extended import jwt_required

    def bare_course_list() -> Any:
        appbuilder = current_app.appbuilder
        if not appbuilder.sm.has_access("can_read", "Course"):
            abort(403)
        api = next(v for v in appbuilder.baseviews if getattr(v, "resource_name", None) == "course")
        api._filters.clear_filters()
        filters = api._filters.get_joined_filters(api._base_filters)
        order_column, order_direction = api.base_order or ("", "")
        count, items = api.datamodel.query(
            filters,
            order_column,
            order_direction,
            page=0,
            page_size=api.page_size,
            select_columns=api.list_select_columns,
            outer_default_load=True,
        )
        result = api.list_model_schema.dump(items, many=True)
        return jsonify(count=int(count), ids=[item.id for item in items], result=result)

    app.add_url_rule(BARE_URL, "bench_bare_course_list", jwt_required()(bare_course_list))


def report(results: list[Result]) -> None:
    """The three goals' ratios and the statements per page."""
    small, large = SIZES
    by_key = {(r.case, r.size): r for r in results}
    print()
    print(f"{'list':<24} {'1k ms':>8} {'100k ms':>8} {'100k/1k':>8} {'statements':>11}")
    for case in CASES:
        a, b = by_key[(case.name, small)], by_key[(case.name, large)]
        growth = b.median / a.median
        flag = "" if growth <= GOAL_GROWTH else "  over the goal"
        print(
            f"{case.name:<24} {a.median:8.1f} {b.median:8.1f} {growth:8.2f} "
            f"{a.statement_label + ' / ' + b.statement_label:>11}{flag}"
        )
    print(f"(goal: 100k/1k <= {GOAL_GROWTH}; statements <= {GOAL_STATEMENTS} per page)")
    print()
    for size in SIZES:
        fab, bare = by_key[("REST list", size)], by_key[("bare route", size)]
        print(
            f"FAB REST list / bare route @{size // 1000}k: {fab.median / bare.median:.2f} "
            f"({fab.median:.1f} / {bare.median:.1f} ms; goal <= {GOAL_BARE})"
        )


def main() -> int:
    from app.extensions import db
    from app.lookups.services import lookup_id
    from tests.factories import PASSWORD

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    app, people = build_app()
    add_bare_route(app)
    with app.app_context():
        engine = db.engine
        published = lookup_id("course_status", "published")
    print(f"Setup: {time.perf_counter() - started:.1f} s")
    clients = {who: ui_client(app, name, PASSWORD) for who, (_id, name) in people.items()}
    bearer = jwt_headers(app, people["admin"][1], PASSWORD)
    api = app.test_client()
    results: list[Result] = []
    for size in SIZES:
        rows = fill_to(app, engine, size, people["instructor"][0])
        print(f"course filled to {rows:,} rows")
        gets: dict[Case, Callable[[], Any]] = {}
        for case in CASES:
            url = case.url.replace("__published__", str(published))
            if case.who == "api":
                gets[case] = lambda u=url: api.get(u, headers=bearer)
            else:
                gets[case] = lambda u=url, who=case.who: clients[who].get(u)
        for result in measure(engine, gets, size):
            results.append(result)
            print(f"  {result.case:<24} median {result.median:7.1f} ms  statements {result.statement_label}")
    report(results)
    print(f"Total: {time.perf_counter() - started:.1f} s")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

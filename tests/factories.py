"""Factories for tests and benchmarks: users of each role, lookup types and values."""

from __future__ import annotations

import itertools
from typing import Any

from app.extensions import appbuilder, db
from app.lookups.models import Lookup, LookupType
from app.lookups.services import lookup_id
from app.security.models import LmsUser

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def make_user(
    role: str = "Student",
    *,
    username: str | None = None,
    password: str = PASSWORD,
    status: str = "active",
    **fields: Any,
) -> LmsUser:
    """A committed user with one role and a `user_status` (call inside an app context)."""
    n = next(_counter)
    username = username or f"{role.lower()}{n}"
    sm = appbuilder.sm
    user = sm.add_user(
        username=username,
        first_name=fields.pop("first_name", role),
        last_name=fields.pop("last_name", f"Tester {n}"),
        email=fields.pop("email", f"{username}@example.test"),
        role=sm.find_role(role),
        password=password,
    )
    assert user, f"could not create user {username}"
    user.status_id = lookup_id("user_status", status)
    for key, value in fields.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def make_lookup_type(code: str | None = None, **fields: Any) -> LookupType:
    """A committed lookup type."""
    n = next(_counter)
    ltype = LookupType(
        code=code or f"test_type_{n}",
        name_en=fields.pop("name_en", f"Test type {n}"),
        name_ar=fields.pop("name_ar", f"نوع تجريبي {n}"),
        **fields,
    )
    db.session.add(ltype)
    db.session.commit()
    return ltype


def make_lookup(ltype: LookupType | None = None, code: str | None = None, **fields: Any) -> Lookup:
    """A committed lookup value (in a new type unless one is given)."""
    ltype = ltype or make_lookup_type()
    n = next(_counter)
    value = Lookup(
        type_id=ltype.id,
        code=code or f"value_{n}",
        name_en=fields.pop("name_en", f"Value {n}"),
        name_ar=fields.pop("name_ar", f"قيمة {n}"),
        **fields,
    )
    db.session.add(value)
    db.session.commit()
    return value

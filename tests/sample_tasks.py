"""A task used by the tests of the task plumbing (importable by path, like real tasks)."""

from app.extensions import db
from app.lookups.models import Lookup


def bump_sort_order(lookup_id: int) -> int:
    """Increment a lookup's sort order; returns the new value."""
    value = db.session.get(Lookup, lookup_id)
    value.sort_order += 1
    db.session.flush()  # the task boundary commits
    return value.sort_order

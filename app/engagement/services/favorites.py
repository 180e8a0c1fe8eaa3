"""Favorite rules: favorite what one may see, private collections, the list and its counters.

A favorite row is never removed because its target was deleted or became invisible: the list
skips such targets and shows them again when they come back. So `favorite_count` counts rows, moves
only with favorite/unfavorite (in the same transaction, by atomic upserts) and always equals a
recount, whatever happens to the target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, func, select, update

from app.core import targets
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models import bump_target_counter, conflict_insert
from app.core.search_text import normalize_search
from app.core.softdelete import soft_delete
from app.core.translations import LANGUAGES
from app.engagement import notices
from app.engagement.models import COLLECTION_COLOURS, Favorite, FavoriteCollection, FavoriteCount
from app.extensions import db

MAX_COLLECTION_NAME = 80
MAX_QUERY_LENGTH = 200
MAX_FAVORITES_PAGE = 100
MAX_ID = 2**63 - 1  # ids are BIGINT: a larger number names no row
# The kinds a user may favorite, in the order the list shows them; kinds whose module is not
# installed yet (posts, events...) are skipped until it registers its target.
FAVORITE_KINDS = {
    "course": _l("Courses"),
    "lesson": _l("Lessons"),
    "post": _l("Posts"),
    "event": _l("Events"),
    "page": _l("Pages"),
    "group": _l("Groups"),
    "job": _l("Jobs"),
    "comment": _l("Comments"),
    "certificate": _l("Certificates"),
}


@dataclass
class FavoriteItem:
    """A listed favorite with its target, its titles in each language and its link."""

    favorite: Favorite
    target: Any
    titles: dict[str, str]
    viewer: Any = None

    @property
    def url(self) -> str | None:
        """The page where the viewer sees the target (built when asked: it needs a request)."""
        return targets.target_url(self.viewer, self.kind, self.target)

    @property
    def kind(self) -> str:
        """The target type."""
        return self.favorite.target_type

    @property
    def added_at(self) -> datetime:
        """When the user favorited it."""
        return self.favorite.created_at

    def title(self, language: str) -> str:
        """The title in `language` (English when missing)."""
        return self.titles.get(language) or self.titles.get("en") or ""


@dataclass
class FavoriteGroup:
    """The favorites of one kind, newest first."""

    kind: str
    label: Any
    items: list[FavoriteItem] = field(default_factory=list)


@dataclass
class FavoritePage:
    """One page of a user's favorites, grouped by kind, and how many match in all."""

    groups: list[FavoriteGroup]
    total: int
    page: int
    page_size: int

    @property
    def items(self) -> list[FavoriteItem]:
        """Every item of the page, in group order."""
        return [item for group in self.groups for item in group.items]


# ---- helpers --------------------------------------------------------------------------------
def _user_id(user: Any) -> int:
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise Forbidden(_("Sign in to keep favorites."))
    return user_id


def _check_kind(target_type: Any) -> str:
    if not isinstance(target_type, str) or target_type not in FAVORITE_KINDS:
        raise Invalid(_("This cannot be favorited."), {"target_type": [_("Not allowed.")]})
    targets.get_target(target_type)  # NotFound while its module is not installed
    return target_type


def _visible_target(user: Any, target_type: str, target_id: Any) -> Any:
    """The target when the user may see it; NotFound otherwise (nothing said about hidden ones)."""
    if not isinstance(target_id, int) or isinstance(target_id, bool) or not 0 < target_id <= MAX_ID:
        raise NotFound(_("Not found."))
    try:
        target = targets.load_target(target_type, target_id)
    except NotFound:
        raise NotFound(_("Not found.")) from None
    if not targets.can_view(user, target_type, target):
        raise NotFound(_("Not found."))
    return target


def _bump(target_type: str, target_id: int, delta: int) -> None:
    """Move a target's counter by `delta` (one atomic upsert, safe under concurrent writers)."""
    bump_target_counter(FavoriteCount, target_type, target_id, delta)


def _titles(target_type: str, target: Any) -> dict[str, str]:
    return {language: targets.target_title(target_type, target, language) for language in LANGUAGES}


# ---- collections (private to their owner) ------------------------------------------------------
def _clean_collection(name: Any, colour: Any) -> tuple[str, str]:
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text:
        raise Invalid(_("A collection needs a name."), {"name": [_("Required.")]})
    if len(text) > MAX_COLLECTION_NAME:
        raise Invalid(
            _("A name is limited to %(n)d characters.", n=MAX_COLLECTION_NAME), {"name": [_("Too long.")]}
        )
    if colour not in COLLECTION_COLOURS:
        raise Invalid(_("Choose one of the colours offered."), {"colour": [_("Not allowed.")]})
    return text, colour


def list_collections(user: Any) -> list[FavoriteCollection]:
    """The user's collections by name."""
    return list(
        db.session.scalars(
            select(FavoriteCollection)
            .where(FavoriteCollection.user_id == _user_id(user))
            .order_by(func.lower(FavoriteCollection.name), FavoriteCollection.id)
        )
    )


def get_collection(user: Any, collection_id: Any) -> FavoriteCollection:
    """One of the user's own collections, or NotFound (also for another user's)."""
    user_id = _user_id(user)
    collection = (
        db.session.get(FavoriteCollection, collection_id)
        if isinstance(collection_id, int) and not isinstance(collection_id, bool)
        else None
    )
    if collection is None or collection.is_deleted or collection.user_id != user_id:
        raise NotFound(_("No such collection."))
    return collection


def create_collection(user: Any, name: Any, colour: Any = "blue") -> FavoriteCollection:
    """A new collection of the user's."""
    text, clean_colour = _clean_collection(name, colour)
    collection = FavoriteCollection(user_id=_user_id(user), name=text, colour=clean_colour)
    db.session.add(collection)
    db.session.flush()
    return collection


def update_collection(
    user: Any, collection: FavoriteCollection, name: Any = None, colour: Any = None
) -> FavoriteCollection:
    """Rename or recolour one's own collection."""
    if collection.user_id != _user_id(user):
        raise NotFound(_("No such collection."))
    text, clean_colour = _clean_collection(
        collection.name if name is None else name, collection.colour if colour is None else colour
    )
    collection.name, collection.colour = text, clean_colour
    db.session.flush()
    return collection


def delete_collection(user: Any, collection: FavoriteCollection) -> None:
    """Delete one's own collection (to the Trash); its favorites stay, outside any collection."""
    if collection.user_id != _user_id(user):
        raise NotFound(_("No such collection."))
    db.session.execute(
        update(Favorite).where(Favorite.collection_id == collection.id).values(collection_id=None)
    )
    soft_delete(collection)
    db.session.flush()


# ---- favorite / unfavorite ------------------------------------------------------------------
def favorite(
    user: Any, target_type: Any, target_id: Any, collection: FavoriteCollection | None = None
) -> tuple[Favorite, bool]:
    """Favorite a target the user may see (into one of their collections); favoriting it again
    changes nothing but the collection. Returns the row and whether it is new."""
    user_id = _user_id(user)
    code = _check_kind(target_type)
    target = _visible_target(user, code, target_id)
    if collection is not None and collection.user_id != user_id:
        raise NotFound(_("No such collection."))
    collection_id = collection.id if collection is not None else None
    # One statement decides under concurrency: the unique index lets exactly one insert through.
    new_id = db.session.scalar(
        conflict_insert(Favorite)
        .values(user_id=user_id, target_type=code, target_id=target_id, collection_id=collection_id)
        .on_conflict_do_nothing(index_elements=[Favorite.user_id, Favorite.target_type, Favorite.target_id])
        .returning(Favorite.id)
    )
    if new_id is not None:
        _bump(code, target_id, 1)
        row = db.session.get(Favorite, new_id)
        assert row is not None
        db.session.flush()
        notices.favorited(code, target, user)
        return row, True
    row = db.session.scalars(
        select(Favorite).where(
            Favorite.user_id == user_id, Favorite.target_type == code, Favorite.target_id == target_id
        )
    ).one()
    if collection is not None and row.collection_id != collection_id:
        row.collection_id = collection_id
        db.session.flush()
    return row, False


def unfavorite(user: Any, target_type: Any, target_id: Any) -> bool:
    """Remove the user's favorite of a target (whatever became of the target); False if none."""
    user_id = _user_id(user)
    if not isinstance(target_type, str) or not isinstance(target_id, int) or not 0 < target_id <= MAX_ID:
        return False
    gone = db.session.scalar(
        delete(Favorite)
        .where(
            Favorite.user_id == user_id, Favorite.target_type == target_type, Favorite.target_id == target_id
        )
        .returning(Favorite.id)
    )
    if gone is None:
        return False
    _bump(target_type, target_id, -1)
    db.session.flush()
    return True


def get_favorite(user: Any, favorite_id: Any) -> Favorite:
    """One of the user's favorites, or NotFound."""
    user_id = _user_id(user)
    row = (
        db.session.get(Favorite, favorite_id)
        if isinstance(favorite_id, int) and not isinstance(favorite_id, bool)
        else None
    )
    if row is None or row.user_id != user_id:
        raise NotFound(_("No such favorite."))
    return row


def move_to_collection(user: Any, row: Favorite, collection: FavoriteCollection | None) -> Favorite:
    """Put one's favorite into one's collection (None: out of any collection)."""
    user_id = _user_id(user)
    if row.user_id != user_id or (collection is not None and collection.user_id != user_id):
        raise NotFound(_("No such collection."))
    row.collection_id = collection.id if collection is not None else None
    db.session.flush()
    return row


# ---- counters --------------------------------------------------------------------------------
def favorite_counts(target_type: str, ids: Iterable[int]) -> dict[int, int]:
    """Favorite counts of many targets of one type in one query (0 for the others)."""
    wanted = list(dict.fromkeys(ids))
    counts = dict.fromkeys(wanted, 0)
    if wanted:
        rows = db.session.execute(
            select(FavoriteCount.target_id, FavoriteCount.count).where(
                FavoriteCount.target_type == target_type, FavoriteCount.target_id.in_(wanted)
            )
        )
        counts.update({target_id: count for target_id, count in rows})
    return counts


def favorite_count(target_type: str, target_id: int) -> int:
    """The favorite count of one target."""
    return favorite_counts(target_type, [target_id])[target_id]


def is_favorited(user: Any, target_type: str, ids: Iterable[int]) -> set[int]:
    """Which of these targets the user favorited, in one query (none for visitors)."""
    user_id = targets.signed_in_user_id(user)
    wanted = list(dict.fromkeys(ids))
    if user_id is None or not wanted:
        return set()
    return set(
        db.session.scalars(
            select(Favorite.target_id).where(
                Favorite.user_id == user_id,
                Favorite.target_type == target_type,
                Favorite.target_id.in_(wanted),
            )
        )
    )


def favorite_summary(user: Any, target_type: str, ids: Iterable[int]) -> tuple[dict[int, int], set[int]]:
    """Counts of many targets and which the user favorited, in ONE query (pages showing buttons).

    A target the user favorited has a counter row, so the user's favorites are found beside it.
    """
    wanted = list(dict.fromkeys(ids))
    counts = dict.fromkeys(wanted, 0)
    mine: set[int] = set()
    if not wanted:
        return counts, mine
    user_id = targets.signed_in_user_id(user)
    own = (
        select(Favorite.id)
        .where(
            Favorite.user_id == user_id,
            Favorite.target_type == target_type,
            Favorite.target_id == FavoriteCount.target_id,
        )
        .exists()
        if user_id is not None
        else false()
    )
    rows = db.session.execute(
        select(FavoriteCount.target_id, FavoriteCount.count, own).where(
            FavoriteCount.target_type == target_type, FavoriteCount.target_id.in_(wanted)
        )
    )
    for target_id, count, is_mine in rows:
        counts[target_id] = count
        if is_mine:
            mine.add(target_id)
    return counts, mine


def recount_favorites(target_type: str, target_id: int) -> int:
    """Recompute a target's counter from the rows."""
    total = int(
        db.session.scalar(
            select(func.count(Favorite.id)).where(
                Favorite.target_type == target_type, Favorite.target_id == target_id
            )
        )
        or 0
    )
    _bump(target_type, target_id, total - favorite_count(target_type, target_id))
    db.session.flush()
    return total


# ---- the list ---------------------------------------------------------------------------------
def _visible_items(user: Any, rows: list[Favorite]) -> list[FavoriteItem]:
    """The rows whose targets exist and the user may still see, each with its target, in order."""
    by_kind: dict[str, set[int]] = {}
    for row in rows:
        by_kind.setdefault(row.target_type, set()).add(row.target_id)
    loaded: dict[tuple[str, int], Any] = {}
    for code, ids in by_kind.items():
        try:
            model = targets.get_target(code).model
        except NotFound:
            continue
        # Soft-deleted targets are not returned: their favorites wait for a restore.
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            if targets.can_view(user, code, obj):
                loaded[(code, obj.id)] = obj
    items = []
    for row in rows:
        obj = loaded.get((row.target_type, row.target_id))
        if obj is not None:
            items.append(FavoriteItem(row, obj, _titles(row.target_type, obj), user))
    return items


def my_favorites(
    user: Any,
    kind: str | None = None,
    q: str | None = None,
    collection: FavoriteCollection | None = None,
    page: int = 1,
    page_size: int = 50,
) -> FavoritePage:
    """The user's favorites they can still see, newest first, grouped by kind; `q` searches the
    titles in English and Arabic alike, `collection` keeps one of their collections."""
    user_id = _user_id(user)
    if kind is not None and kind not in FAVORITE_KINDS:
        raise Invalid(_("Unknown kind."), {"kind": [_("Not allowed.")]})
    if collection is not None and collection.user_id != user_id:
        raise NotFound(_("No such collection."))
    query = select(Favorite).where(
        Favorite.user_id == user_id, Favorite.target_type.in_(list(FAVORITE_KINDS))
    )
    if kind is not None:
        query = query.where(Favorite.target_type == kind)
    if collection is not None:
        query = query.where(Favorite.collection_id == collection.id)
    rows = list(db.session.scalars(query.order_by(Favorite.created_at.desc(), Favorite.id.desc())))
    items = _visible_items(user, rows)
    needle = normalize_search((q or "")[:MAX_QUERY_LENGTH]).strip()
    if needle:
        items = [i for i in items if any(needle in normalize_search(t) for t in i.titles.values())]
    page, page_size = max(int(page), 1), min(max(int(page_size), 1), MAX_FAVORITES_PAGE)
    # Grouped by kind (in FAVORITE_KINDS order), newest first inside each kind; pages cut the whole.
    order = {code: n for n, code in enumerate(FAVORITE_KINDS)}
    items.sort(key=lambda i: order[i.kind])
    chunk = items[(page - 1) * page_size : page * page_size]
    groups: dict[str, FavoriteGroup] = {}
    for item in chunk:
        groups.setdefault(item.kind, FavoriteGroup(item.kind, FAVORITE_KINDS[item.kind])).items.append(item)
    return FavoritePage(list(groups.values()), len(items), page, page_size)


def available_kinds() -> list[tuple[str, Any]]:
    """The kinds that can be favorited now (their module is installed), with their labels."""
    installed = set(targets.registered_codes())
    return [(code, label) for code, label in FAVORITE_KINDS.items() if code in installed]

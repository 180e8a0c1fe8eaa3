"""Engagement's tables: comments, favorites and their flags and counters (later reactions, shares)."""

from app.engagement.models.comments import Comment, CommentCount, CommentFlag
from app.engagement.models.favorites import (
    COLLECTION_COLOURS,
    DEFAULT_COLOUR,
    Favorite,
    FavoriteCollection,
    FavoriteCount,
)

__all__ = [
    "COLLECTION_COLOURS",
    "DEFAULT_COLOUR",
    "Comment",
    "CommentCount",
    "CommentFlag",
    "Favorite",
    "FavoriteCollection",
    "FavoriteCount",
]

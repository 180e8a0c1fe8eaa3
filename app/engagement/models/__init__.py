"""Engagement's tables: comments, reactions, favorites, views, their flags and counters (later shares)."""

from app.engagement.models.comments import Comment, CommentCount, CommentFlag
from app.engagement.models.favorites import (
    COLLECTION_COLOURS,
    DEFAULT_COLOUR,
    Favorite,
    FavoriteCollection,
    FavoriteCount,
)
from app.engagement.models.reactions import Reaction, ReactionCount
from app.engagement.models.views import ViewCount, ViewFlush

__all__ = [
    "COLLECTION_COLOURS",
    "DEFAULT_COLOUR",
    "Comment",
    "CommentCount",
    "CommentFlag",
    "Favorite",
    "FavoriteCollection",
    "FavoriteCount",
    "Reaction",
    "ReactionCount",
    "ViewCount",
    "ViewFlush",
]

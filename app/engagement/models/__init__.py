"""Engagement's tables: comments, reactions, favorites, shares and referrals, views, their flags and
counters."""

from app.engagement.models.comments import Comment, CommentCount, CommentFlag
from app.engagement.models.favorites import (
    COLLECTION_COLOURS,
    DEFAULT_COLOUR,
    Favorite,
    FavoriteCollection,
    FavoriteCount,
)
from app.engagement.models.reactions import Reaction, ReactionCount
from app.engagement.models.shares import (
    CONVERSION_KINDS,
    INTERNAL_CHANNELS,
    SHARE_CHANNELS,
    ReferralCode,
    ReferralConversion,
    ReferralTouch,
    Share,
    ShareCount,
)
from app.engagement.models.views import ViewCount, ViewFlush

__all__ = [
    "COLLECTION_COLOURS",
    "CONVERSION_KINDS",
    "DEFAULT_COLOUR",
    "INTERNAL_CHANNELS",
    "SHARE_CHANNELS",
    "Comment",
    "CommentCount",
    "CommentFlag",
    "Favorite",
    "FavoriteCollection",
    "FavoriteCount",
    "Reaction",
    "ReactionCount",
    "ReferralCode",
    "ReferralConversion",
    "ReferralTouch",
    "Share",
    "ShareCount",
    "ViewCount",
    "ViewFlush",
]

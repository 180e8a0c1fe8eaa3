"""Engagement's tables: comments, reactions and their counters (later favorites, shares)."""

from app.engagement.models.comments import Comment, CommentCount, CommentFlag
from app.engagement.models.reactions import Reaction, ReactionCount

__all__ = ["Comment", "CommentCount", "CommentFlag", "Reaction", "ReactionCount"]

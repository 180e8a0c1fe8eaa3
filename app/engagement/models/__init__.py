"""Engagement's tables: comments and their flags and counters (later reactions, favorites, shares)."""

from app.engagement.models.comments import Comment, CommentCount, CommentFlag

__all__ = ["Comment", "CommentCount", "CommentFlag"]

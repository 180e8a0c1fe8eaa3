"""The data of the portal's reaction bars and favorite buttons (portal/_reactions.html,
portal/_favorite_button.html), apart from the routes: page modules import it without importing the
blueprint."""

from __future__ import annotations

from typing import Any

from app.security.permissions import has_permission


def reaction_bar_data(target_type: str, ids: list[int], user: Any) -> dict[str, Any]:
    """What the bars of one page need: the types and every target's summary (one statement)."""
    try:
        from app.engagement import services as engagement
    except ImportError:  # the engagement module ships separately
        return {}
    return _bar(target_type, engagement.reaction_summary(target_type, ids, user), user)


def _bar(target_type: str, summaries: dict[int, Any], user: Any) -> dict[str, Any]:
    from app.engagement import services as engagement

    return {
        "types": engagement.reaction_types(),
        "summaries": summaries,
        "target_type": target_type,
        "can_react": user is not None and has_permission("can_write", "Reaction"),
    }


def engagement_data(user: Any, **wanted: list[int]) -> dict[str, dict[str, Any]]:
    """Reaction bars and favorite buttons of targets of several types (`course=[7]`), in ONE statement:
    per type, `{"reactions": <reaction bar data>, "favorites": <favorite button state>, "shares":
    {id: (shares, learners joined through shares)}}`."""
    try:
        from app.engagement.services.summary import engagement_summary
    except ImportError:  # the engagement module ships separately
        return {code: {"reactions": {}, "favorites": None, "shares": {}} for code in wanted}
    summaries = engagement_summary(user, wanted)
    return {
        code: {
            "reactions": _bar(code, figures.reactions, user),
            "favorites": {"type": code, "counts": figures.favorite_counts, "mine": figures.my_favorites},
            "shares": figures.shares,
        }
        for code, figures in summaries.items()
    }

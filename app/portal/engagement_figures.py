"""The data of the portal's reaction bars, favorite buttons and share figures (portal/_reactions.html,
portal/_favorite_button.html, portal/_share.html), apart from the routes: page modules import it
without importing the blueprint."""

from __future__ import annotations

from typing import Any

from app.engagement import services as engagement
from app.engagement.services.summary import engagement_summary
from app.security.permissions import has_permission


def engagement_data(user: Any, **wanted: list[int]) -> dict[str, dict[str, Any]]:
    """Reaction bars, favorite buttons and share figures of targets of several types (`course=[7]`),
    in ONE statement: per type, `{"reactions": <reaction bar data>, "favorites": <favorite button
    state>, "shares": {id: (shares, learners joined through shares)}}`."""
    can_react = user is not None and has_permission("can_write", "Reaction")
    return {
        code: {
            "reactions": {
                "types": engagement.reaction_types(),
                "summaries": figures.reactions,
                "target_type": code,
                "can_react": can_react,
            },
            "favorites": {"type": code, "counts": figures.favorite_counts, "mine": figures.my_favorites},
            "shares": figures.shares,
        }
        for code, figures in engagement_summary(user, wanted).items()
    }

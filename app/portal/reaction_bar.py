"""The data of the portal's reaction bars (portal/_reactions.html), apart from the routes: page modules
import it without importing the blueprint."""

from __future__ import annotations

from typing import Any

from app.security.permissions import has_permission


def reaction_bar_data(target_type: str, ids: list[int], user: Any) -> dict[str, Any]:
    """What the bars of one page need: the types and every target's summary (one statement)."""
    try:
        from app.engagement import services as engagement
    except ImportError:  # the engagement module ships separately
        return {}
    return {
        "types": engagement.reaction_types(),
        "summaries": engagement.reaction_summary(target_type, ids, user),
        "target_type": target_type,
        "can_react": user is not None and has_permission("can_write", "Reaction"),
    }

"""Universal engagement features: comments, reactions, favorites, shares and referral attribution,
and views on any registered target (PRD 3.1.6, 3.3.5, 3.5, 3.6, 3.13.1)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def _register_comment_target() -> None:
    """Comments as a target of other universal features (reactions, reports, attachments)."""
    from app.core import targets
    from app.core.errors import NotFound
    from app.core.targets import register_target
    from app.engagement import services
    from app.engagement.models import Comment

    def comment_url(user: Any, comment: Comment) -> str | None:
        # The page of what it is on, at the comment (the lesson player shows `#comment-<id>`).
        try:
            target = targets.load_target(comment.target_type, comment.target_id)
        except NotFound:
            return None
        page = targets.target_url(user, comment.target_type, target)
        return f"{page}#comment-{comment.id}" if page else None

    register_target(
        services.COMMENT_TARGET,
        Comment,
        can_view=services.can_read_comment,
        can_edit=services.can_edit_comment,
        can_moderate=services.can_moderate_comment,
        url=comment_url,
        title=lambda comment, language: comment.excerpt,
    )


def _recount_restored(comments: list[Any]) -> None:
    """Comments back from the Trash count again on their targets."""
    from app.engagement.services import recount_comments

    for target_type, target_id in {(c.target_type, c.target_id) for c in comments}:
        recount_comments(target_type, target_id)


def _recount_restored_reactions(reactions: list[Any]) -> None:
    """Reactions back from the Trash count again on their targets."""
    from app.engagement.services import recount_reactions

    for target_type, target_id in {(r.target_type, r.target_id) for r in reactions}:
        recount_reactions(target_type, target_id)


def _listen_for_referrals(appbuilder: AppBuilder) -> None:
    """Visits with `?ref=` become touches; sign-ups and sign-ins bind a browser's touches to the user."""
    from flask import current_app
    from flask_login import user_logged_in

    from app.engagement.services import referrals
    from app.security.signals import user_registered

    app = current_app
    if referrals.touch_from_request not in app.before_request_funcs.get(None, []):
        app.before_request(referrals.touch_from_request)
    user_registered.connect(referrals.on_user_registered)
    user_logged_in.connect(referrals.on_user_logged_in)


def register(appbuilder: AppBuilder) -> None:
    """Add the comment, favorite, reaction, share and referral screens and their APIs (and view
    counts'); comments become a target; referral touches and sign-ups are listened to.

    The modules owning targets register who moderates them (`services.register_moderation_scope`).
    """
    from app.core.menus import add_views
    from app.core.softdelete import on_restore
    from app.engagement import notices, services
    from app.engagement.api import CommentApi
    from app.engagement.api_favorites import FavoriteApi, FavoriteCollectionApi
    from app.engagement.api_reactions import ReactionApi
    from app.engagement.api_shares import ReferralApi, ShareApi
    from app.engagement.api_views import ViewCountApi
    from app.engagement.models import Comment, Reaction
    from app.engagement.views import CommentModelView
    from app.engagement.views_favorites import FavoriteModelView
    from app.engagement.views_reactions import ReactionModelView
    from app.engagement.views_shares import ReferralConversionModelView, ReferralFiguresView, ShareModelView

    _register_comment_target()
    notices.register_messages()
    # A comment's owner (told of reactions and favorites) is its author.
    notices.register_owners(
        services.COMMENT_TARGET, lambda comment: [comment.author_id] if comment.author_id else []
    )
    # Whoever moderates a target moderates what is said about its comments (reactions, reports).
    services.register_moderation_scope(services.COMMENT_TARGET, services.comments_moderated_by)
    on_restore(Comment, _recount_restored)
    on_restore(Reaction, _recount_restored_reactions)
    add_views(
        appbuilder,
        [
            (CommentModelView, "Comments", _l("Comments"), "fa-comments"),
            (FavoriteModelView, "Favorites", _l("Favorites"), "fa-star"),
            (ReactionModelView, "Reactions", _l("Reactions"), "fa-thumbs-up"),
            (ShareModelView, "Shares", _l("Shares"), "fa-share-alt"),
            (ReferralConversionModelView, "Referrals", _l("Referrals"), "fa-user-plus"),
            (ReferralFiguresView, "Referral figures", _l("Referral figures"), "fa-chart-bar"),
        ],
        category="Content",
        category_label=_l("Content"),
        category_icon="fa-folder-open",
    )
    for api in (
        CommentApi,
        FavoriteApi,
        FavoriteCollectionApi,
        ReactionApi,
        ShareApi,
        ReferralApi,
        ViewCountApi,
    ):
        appbuilder.add_api(api)
    _listen_for_referrals(appbuilder)

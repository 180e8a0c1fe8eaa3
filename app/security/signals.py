"""Security's signals ("something happened"): modules above security listen without it knowing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by the self-registration form inside its transaction, after the new account is flushed, with
# the new user as the sender (engagement binds the browser's referral visits to it).
user_registered = _signals.signal("user-registered")

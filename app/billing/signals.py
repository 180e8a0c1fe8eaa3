"""Billing's signals ("something happened"): other parts of billing, and modules above it, listen."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by `services.payments.fulfil` inside its transaction, with the completed Payment as the sender
# and `now=`: each receiver gives what its purpose pays for (subscriptions: `subscriptions.apply_payment`).
payment_completed = _signals.signal("payment-completed")

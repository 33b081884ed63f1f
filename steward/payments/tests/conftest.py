"""localstripe, a Stripe-protocol test server, for the Stripe provider's tests: the fixtures
of localstripe.py (imported here, pytest finds them)."""

from .localstripe import localstripe_server, stripe_settings, stripe_webhooks

__all__ = ["localstripe_server", "stripe_settings", "stripe_webhooks"]

"""The Content-Security-Policy and Permissions-Policy headers (SecurityHeadersMiddleware).

Pages run only Steward's own scripts and styles: no inline script, event handler or style
(htmx is told not to inject its indicator styles, see base.html), so an injected tag or
attribute does nothing. Styles are held to 'self' too, not 'unsafe-inline': a page that can
be given arbitrary CSS can be made to leak what it shows (attribute selectors loading
images), and nothing in Steward needs inline styles. The few origins beyond 'self' come
from the settings: the S3 endpoint, which browsers send upload parts to and are sent to for
downloads, and Stripe, whose script and frames take card details at checkout.

Every other response (files, JSON, CSV, static assets) gets a policy that renders nothing:
a file with HTML inside, opened in a browser tab, runs no script and loads nothing, as a
sandboxed document of its own origin."""

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), usb=()"


def page_policy() -> str:
    return _page_policy(
        settings.STEWARD_S3_BUCKET,
        settings.STEWARD_S3_ENDPOINT,
        settings.STEWARD_S3_REGION,
        settings.STEWARD_PAYMENT_PROVIDER,
        settings.STEWARD_STRIPE_API_BASE,
    )


@lru_cache(maxsize=8)
def _page_policy(
    bucket: str, endpoint: str, region: str, payment_provider: str, stripe_api_base: str
) -> str:
    scripts, frames, connect, forms = ["'self'"], [], ["'self'"], ["'self'"]
    if bucket:
        # Upload parts are PUT straight to the bucket; a download form's redirect ends there.
        store = _origin(_s3_endpoint())
        connect.append(store)
        forms.append(store)
    if payment_provider == "stripe":
        if stripe_api_base:  # a Stripe-protocol server (localstripe) serves all of it
            stripe = _origin(stripe_api_base)
            scripts.append(stripe)
            frames.append(stripe)
            connect.append(stripe)
        else:
            scripts.append("https://js.stripe.com")
            frames += ["https://js.stripe.com", "https://hooks.stripe.com"]
            connect.append("https://api.stripe.com")
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'"],
        # data: for the empty favicon of base.html and the QR code of authenticator set-up.
        "img-src": ["'self'", "data:"],
        "connect-src": connect,
        "frame-src": frames or ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": forms,
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _s3_endpoint() -> str:
    # The endpoint presigned URLs point at: the configured one, or the AWS region's.
    from steward.storage.objectstore import s3_store

    return s3_store().client.meta.endpoint_url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

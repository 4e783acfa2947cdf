"""No copy of a response is kept by a browser, a proxy or a shared computer's cache.

Pages about people, the API's records, downloads and exports, printed summaries and SMART
Health Link manifests and files all carry personal data; a copy left in a cache outlives the
session, the user's role and the person's consent. So every response the application makes
is sent with ``Cache-Control: no-store``, whatever its view set, unless the view says it
serves a public asset that holds no one's data (:func:`cacheable`). Static files are served
by whitenoise, before this middleware, and keep their long-lived caching headers.
"""

from __future__ import annotations

from functools import wraps

NO_STORE = "no-store"


def cacheable(view):
    """Mark a view's responses as public assets that may be cached as the view says (they
    must hold nothing about anyone)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.mhis_cacheable = True
        return response

    return wrapped


def _stores(value: str) -> bool:
    return NO_STORE not in {part.strip().lower() for part in value.split(",")}


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response not marked :func:`cacheable`; a view's
    own directives are kept only when they already forbid storing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "mhis_cacheable", False) and _stores(
            response.get("Cache-Control", "")
        ):
            response["Cache-Control"] = NO_STORE
        return response

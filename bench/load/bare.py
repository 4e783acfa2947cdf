"""The floor: Django answering one small JSON response, with no middleware, no database and
no templates, served by the same server with the same workers as MHIS.

gunicorn --chdir bench/load bare:application
"""

import secrets

from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY=secrets.token_urlsafe(50),
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def ok(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("", ok)]
application = get_wsgi_application()

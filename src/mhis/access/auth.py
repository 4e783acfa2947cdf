"""API authentication: bearer tokens (`mhis token create`) or the browser's session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from .services import user_for_token

if TYPE_CHECKING:
    from .models import User


class TokenAuth(HttpBearer):
    openapi_description = (
        "A token from `mhis token create USERNAME`, sent as `Authorization: Bearer …`."
    )

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api_auth = [TokenAuth(), django_auth]

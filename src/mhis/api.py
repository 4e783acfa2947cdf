"""The HTTP API: OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from mhis import __version__
from mhis.care.api import router as care_router
from mhis.contracts import message_of
from mhis.crossborder.api import router as crossborder_router
from mhis.indicators.api import router as indicators_router
from mhis.linkage.api import router as linkage_router
from mhis.protection.api import router as protection_router
from mhis.registry.api import router as persons_router
from mhis.response.api import router as response_router
from mhis.surveillance.api import router as surveillance_router
from mhis.surveillance.outbreak_api import router as outbreak_router


class _Parser(Parser):
    """Query strings as ninja reads them; a value holding the NUL character is refused naming
    its parameter (bodies are checked by mhis.schemas.Input): no database column stores it."""

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            if any("\x00" in key or "\x00" in str(value) for value in values):
                raise NinjaValidationError(
                    [
                        {
                            "loc": ["query", key],
                            "type": "value_error",
                            "msg": _("%(field)s: text cannot contain the NUL character.")
                            % {"field": key},
                        }
                    ]
                )
        return super().parse_querydict(data, list_fields, request)


class _API(NinjaAPI):
    """Body errors keep the value given, so that a refused value reads the same here as on a
    page or in an import (mhis.contracts.message_of)."""

    def validation_error_from_error_contexts(self, error_contexts):
        errors = []
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = tuple(error["loc"])
                loc = [
                    model.__ninja_param_source__,
                    *model.__ninja_flatten_map_reverse__.get(loc, loc),
                ]
                errors.append({"loc": loc, "type": error["type"], "msg": message_of(error)})
        return NinjaValidationError(errors)


api = _API(
    parser=_Parser(),
    title="MHIS API",
    version=__version__,
    description=(
        "Migration Health Information System. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `mhis token create USERNAME`). Records outside your places do not exist "
        "for you (404). Invalid input gets 422 with one entry per field in `detail`."
    ),
    urls_namespace="api",
)
api.add_router("/", persons_router)
api.add_router("/", care_router)
api.add_router("/", protection_router)
api.add_router("/", indicators_router)
api.add_router("/", linkage_router)
api.add_router("/", surveillance_router)
api.add_router("/", outbreak_router)
api.add_router("/", crossborder_router)
api.add_router("/", response_router)


def _location(request, field: str) -> str:
    """Where a field a service refused came from: the path, the query string or the body."""
    name = field.split(".", 1)[0]
    match = request.resolver_match
    if match is not None and name in match.kwargs:
        return "path"
    if request.method in ("GET", "HEAD") or name in request.GET:
        return "query"
    return "body"


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    detail = [
        {
            "loc": [
                _location(request, field),
                *(int(p) if p.isdigit() else p for p in field.split(".")),
            ],
            "msg": message,
            "type": "value_error",
        }
        for field, messages in exc.message_dict.items()
        for message in messages
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(NinjaValidationError)
def schema_error(request, exc: NinjaValidationError):
    """Schema errors in the same shape as service errors: ["body", field, …], without the
    handler's parameter name."""
    detail = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if loc[:1] == ["body"] and len(loc) > 1 and loc[1] == "payload":
            loc = ["body", *loc[2:]]
        detail.append(
            {"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "value_error")}
        )
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(PermissionDenied)
def permission_error(request, exc: PermissionDenied):
    """A refusal of the access policy (or of a service): 403 with its reason."""
    return api.create_response(request, {"detail": str(exc) or _("Not allowed.")}, status=403)

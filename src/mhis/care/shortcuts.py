"""The record behind a URL, for pages and API handlers alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _

from .services import does_not_exist, get_record

if TYPE_CHECKING:
    from mhis.access.views import AuthenticatedHttpRequest

_R = TypeVar("_R", bound=Model)


def record_or_404(
    request: AuthenticatedHttpRequest, model: type[_R], record_id: int | str, view: str
) -> _R:
    """The record if the user may see its person (the read is logged); 404 otherwise."""
    try:
        return get_record(request.user, model, record_id, view=view)
    except does_not_exist(model):
        raise Http404(_("No such record.")) from None

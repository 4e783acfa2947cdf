"""The person behind a URL, for pages and API handlers alike."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from .models import Person
from .search import get_person

if TYPE_CHECKING:
    from mhis.access.views import AuthenticatedHttpRequest

# Views that change a record or add to it end so; a merged record takes no changes.
WRITES = ("_create", "_update", "_edit")


def person_or_404(request: AuthenticatedHttpRequest, person_id: UUID | str, view: str) -> Person:
    """The person if the user may see them (the read is logged); 404 otherwise, never 403.

    A record merged into another takes no more changes (they would stay out of sight on
    the retired record): the API answers 409 naming the surviving record; pages send the
    user to the survivor's page."""
    try:
        person = get_person(request.user, person_id, view=view)
    except Person.DoesNotExist:
        raise Http404(_("No such person.")) from None
    if (
        person.merged_into_id
        and view.endswith(WRITES)
        and (merged := person.merged_into) is not None
    ):
        survivor = merged.uuid
        if view.startswith("api:"):
            raise HttpError(
                409,
                _("This record was merged into %(survivor)s: make changes there.")
                % {"survivor": survivor},
            )
        raise MergedRecord(survivor)
    return person


class MergedRecord(Exception):
    """A page asked to change a merged record; :class:`MergedRecordMiddleware` sends the
    user to the survivor."""

    def __init__(self, survivor: UUID) -> None:
        super().__init__(str(survivor))
        self.survivor = survivor

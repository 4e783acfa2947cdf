"""The person behind a URL, for pages and API handlers alike."""

from django.http import Http404
from django.utils.translation import gettext as _

from .models import Person
from .services import get_person


def person_or_404(request, person_id, view: str) -> Person:
    """The person if the user may see them (the read is logged); 404 otherwise, never 403."""
    try:
        return get_person(request.user, person_id, view=view)
    except Person.DoesNotExist:
        raise Http404(_("No such person.")) from None

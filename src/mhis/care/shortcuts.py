"""The record behind a URL, for pages and API handlers alike."""

from django.http import Http404
from django.utils.translation import gettext as _

from .services import get_record


def record_or_404(request, model, record_id, view: str):
    """The record if the user may see its person (the read is logged); 404 otherwise."""
    try:
        return get_record(request.user, model, record_id, view=view)
    except model.DoesNotExist:
        raise Http404(_("No such record.")) from None

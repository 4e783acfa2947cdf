"""The user's notifications: the list (marking them read) and the count for the header."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import services


@login_required
def inbox(request):
    page = Paginator(services.mine(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def read(request):
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    done = services.mark_read(request.user, ids or None)
    text = ngettext("%(n)s notification marked read.", "%(n)s notifications marked read.", done)
    messages.success(request, text % {"n": done})
    return redirect("notifications:list")


@login_required
def count(request):
    """The header link alone (htmx refreshes it)."""
    return render(
        request, "notifications/bell.html", {"unread": services.unread_count(request.user)}
    )


def unread(request):
    """Context processor: the unread count for the header's link."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": services.unread_count(user)}

"""Where a user lands: the first page their role can use."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .models import Role

LANDING = {
    Role.PROGRAMME_MANAGER: "programmes:dashboard",
    Role.ANALYST: "indicators:overview",
}


@login_required
def home(request):
    return redirect(LANDING.get(request.user.role, "registry:search"))

"""The section an alert's, a signal's or an outbreak's page includes: its twins to share
with, and what was shared with them, with each acknowledgement."""

from django import template

from mhis.access.policy import Can, allowed
from mhis.surveillance.models import Alert, Outbreak, Signal

from .. import services as svc

register = template.Library()


@register.inclusion_tag("crossborder/section.html", takes_context=True)
def shared_section(context):
    obj = None
    for name, model in (("outbreak", Outbreak), ("signal", Signal), ("alert", Alert)):
        value = context.get(name)
        if isinstance(value, model):
            obj = value
            break
    request = context.get("request")
    user = getattr(request, "user", None)
    if obj is None or user is None or not allowed(user, Can.READ_ALERTS):
        return {"show": False}
    kind, place = svc.subject_of(obj)
    twins = svc.twins_of(place)
    shares = list(svc.shares_of(obj))
    return {
        "show": bool(twins or shares),
        "kind": str(kind),
        "obj": obj,
        "twins": twins,
        "shares": shares,
        "can_share": bool(twins) and allowed(user, Can.MANAGE_ALERTS),
    }

"""The outbreak page's response section (response/outbreak_section.html)."""

from django import template

from mhis.access.policy import Can, allowed
from mhis.access.services import in_scope

from .. import services

register = template.Library()


@register.simple_tag(takes_context=True)
def response_summary(context, outbreak):
    user = context["request"].user
    if not allowed(user, Can.READ_ALERTS) or not in_scope(user, outbreak.area):
        return None
    found = services.summary(user, outbreak)
    labels = services.date_labels()
    found["dates"] = [(n, labels[n], found["seven"].dates[n]) for n in services.DATES]
    found["can_act"] = allowed(user, Can.MANAGE_ALERTS)
    found["can_add"] = found["can_act"] and outbreak.state != "over"  # dates still, after
    return found

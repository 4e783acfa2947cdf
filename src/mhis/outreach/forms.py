"""Page forms of outreach records. They collect fields; outreach.services checks them with
the contracts the imports use, so a page and an import refuse the same values alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhis.contracts import ContractForm, form_field

from .codes import Topic
from .contracts import ContactInput

if TYPE_CHECKING:
    from mhis.places.models import Place

    from .models import HealthCorner, Worker


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class ContactForm(ContractForm):
    """One person met: short, the most used fields first, on one phone screen."""

    contract = ContactInput
    field_order = ("date", "topic", "sex", "age_group", "referred", "site", "worker", "corner",
                   "person")  # fmt: skip

    date = forms.CharField(
        label=_("Date"),
        max_length=10,
        required=False,
        help_text="YYYY-MM-DD",
        widget=forms.TextInput(attrs={"type": "date"}),
    )
    topic = form_field(ContactInput, "topic", label=_("Topic"), required=True)
    referred = forms.BooleanField(label=_("Referred to a health service"), required=False)
    site = forms.ChoiceField(label=_("Site"))
    worker = forms.ChoiceField(label=_("Worker or volunteer"), required=False)
    corner = forms.ChoiceField(label=_("Migrant health corner"), required=False)
    person = forms.CharField(
        label=_("MHIS id of the person"),
        max_length=36,
        required=False,
        help_text=_("Only if they are registered; most contacts are not."),
    )

    def __init__(
        self,
        *args: Any,
        sites: Iterable[Place] = (),
        workers: Iterable[Worker] = (),
        corners: Iterable[HealthCorner] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate().isoformat())
        super().__init__(*args, **kwargs)
        _choices(self, "site").choices = [(s.code, s.name) for s in sites]
        _choices(self, "worker").choices = [("", "—"), *((w.code, str(w)) for w in workers)]
        _choices(self, "corner").choices = [("", "—"), *((c.code, str(c)) for c in corners)]
        _choices(self, "topic").choices = [("", "—"), *Topic.choices]

    def service_data(self) -> dict[str, Any]:
        """What the form collected, as `services.record_contact` takes it."""
        return dict(self.cleaned_data)

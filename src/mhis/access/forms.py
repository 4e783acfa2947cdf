"""The administration pages' forms: what is typed; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mhis.places.models import PlaceKind, SiteType

from .models import Role


class AccountForm(forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("What they type to log in: letters, digits and @ . + - _ only."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        help_text=_("In international form, e.g. +66 81 234 5678. Alerts are texted here."),
    )
    language = forms.ChoiceField(
        label=_("Language of notifications"),
        required=False,
        choices=[("", _("The deployment's language")), *settings.LANGUAGES],
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("", _("Choose a role")), *Role.choices],
        help_text=_("What kind of data they work with."),
    )
    places = forms.TypedMultipleChoiceField(
        label=_("Places"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "They see the people known at the sites inside these places, and nobody else. "
            "Choose the narrowest places that cover their work."
        ),
        error_messages={
            "required": _("Choose at least one place: a user with no place sees nobody.")
        },
    )
    is_active = forms.BooleanField(
        label=_("Active: can log in"),
        required=False,
        help_text=_("Untick when someone leaves: they can no longer log in or use a token."),
    )

    def __init__(self, *args: Any, places: list[tuple[int, str]], editing: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["places"].choices = places  # type: ignore[attr-defined]  # a ChoiceField
        if editing:
            del self.fields["username"]
        else:
            del self.fields["is_active"]


class PlaceForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("Inside"), coerce=int)
    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        help_text=_("A short unique code, used in imports and reports; it cannot change later."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(PlaceKind.AREA, PlaceKind.AREA.label), (PlaceKind.SITE, PlaceKind.SITE.label)],
        widget=forms.RadioSelect,
    )
    site_type = forms.ChoiceField(
        label=_("Site type"),
        choices=[("", _("Not a site")), *SiteType.choices],
        required=False,
        help_text=_("For sites only."),
    )
    latitude = forms.CharField(label=_("Latitude"), max_length=20, required=False)
    longitude = forms.CharField(label=_("Longitude"), max_length=20, required=False)

    def __init__(self, *args: Any, parents: list[tuple[int, str]] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if parents is None:  # editing: code, kind and place in the tree stay
            for name in ("parent", "code", "kind"):
                del self.fields[name]
        else:
            self.fields["parent"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                ("", _("Choose a place")),
                *parents,
            ]

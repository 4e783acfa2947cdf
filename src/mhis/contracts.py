"""Typed input contracts: what a write of each record kind takes, declared once.

A contract is a pydantic model. Its fields take their types, allowed values and lengths from
the Django model they fill (`field`), so the database, the API's OpenAPI document, the page
forms (`form_field`) and the imports (`Contract.columns`) cannot disagree. Cross-field rules
are validators. Whatever the door (a page, a JSON body, an import row), a refused value gets
the same message on the same dotted path (`errors_of`), raised as Django's ValidationError
(`Contract.check`), which pages, imports and the API all report.

A contract checks what a value is. What depends on who writes it (a site in the user's
places, a date not before this person's birth) is resolved by the service, which reports on
the same paths.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Self, Union, cast, get_args, get_origin

import pycountry
from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_validator
from pydantic import ValidationError as PydanticError
from pydantic_core import InitErrorDetails, PydanticCustomError

from mhis.codelists import normalise_country, normalise_language
from mhis.dates import parse_date

# Free text without a length in the database (a TextField) is bounded here.
MAX_TEXT = 4000


# -- value parsers: each raises ValueError with the message the user reads ---------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blank_to(default: Any) -> Callable[[Any], Any]:
    """A before-validator: an empty cell, an empty form field or null becomes `default`."""

    def convert(value: Any) -> Any:
        return default if _blank(value) else value

    return convert


def _required(value: Any) -> Any:
    if _blank(value):
        raise ValueError(_("This field is required."))
    return value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def parse_any_day(value: Any) -> Any:
    """A full date (YYYY-MM-DD), in the past or the future (a date object as it is)."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError(_("Enter a date as YYYY-MM-DD."))


def parse_day(value: Any) -> Any:
    """A full date (YYYY-MM-DD), not after today; a date object passes the same check."""
    value = parse_any_day(value)
    if value is not None and value > timezone.localdate():
        raise ValueError(_("This date is in the future."))
    return value


def parse_country(value: Any) -> Any:
    """An ISO 3166-1 alpha-2 or alpha-3 code, as its alpha-2 code."""
    if not isinstance(value, str) or not value:
        return value  # blank, or refused as not text
    return normalise_country(value)


def parse_language(value: Any) -> Any:
    """An ISO 639-1, -2 or -3 code, as its 639-1 code where there is one."""
    if not isinstance(value, str):
        return value  # refused as not text
    return normalise_language(value)


def parse_money(value: Any) -> Decimal | None:
    """An amount of money: not negative, below ten billion, to the cent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter an amount."))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(_("Enter an amount.")) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("An amount cannot be negative."))
    if amount >= Decimal("1e10"):
        raise ValueError(_("This amount is too large."))
    return amount.quantize(Decimal("0.01"))


def parse_currency(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(_("“%(code)s” is not an ISO 4217 currency code.") % {"code": value})
    return code


def today_if_blank(value: Any) -> Any:
    """A before-validator: an empty date is today (a referral sent, a step taken, today)."""
    return timezone.localdate() if _blank(value) else value


def parse_flag(value: Any) -> Any:
    """Yes or no, as a form, a spreadsheet or a JSON body writes it (yes/no, true/false, 1/0)."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in ("1", "true", "yes", "y"):
        return True
    if text in ("0", "false", "no", "n"):
        return False
    raise ValueError(_("Expected yes or no."))


def split_list(value: Any) -> Any:
    """A list as a spreadsheet cell or a one-line form field writes it: "a; b, c"."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


# Validators run last to first: the blank check, then the parser.
Day = Annotated[
    date | None,
    BeforeValidator(parse_day),
    BeforeValidator(blank_to(None)),
    Field(description="YYYY-MM-DD, not after today"),
]
RequiredDay = Annotated[
    date,
    BeforeValidator(parse_day),
    BeforeValidator(_required),
    Field(description="YYYY-MM-DD, not after today"),
]
AnyDay = Annotated[
    date | None,
    BeforeValidator(parse_any_day),
    BeforeValidator(blank_to(None)),
    Field(description="YYYY-MM-DD"),
]
Country = Annotated[
    str,
    BeforeValidator(parse_country),
    BeforeValidator(blank_to("")),
    # The stored code's length: an alpha-3 code is read too, and stored as its alpha-2.
    Field(max_length=2, description="ISO 3166-1 alpha-2 code (alpha-3 is read as its alpha-2)"),
]
Language = Annotated[
    str,
    BeforeValidator(parse_language),
    Field(max_length=3, description="ISO 639 code (stored as 639-1 where there is one)"),
]
Money = Annotated[
    Decimal | None,
    BeforeValidator(parse_money),
    BeforeValidator(blank_to(None)),
    Field(description="An amount, not negative"),
]
Currency = Annotated[
    str,
    BeforeValidator(lambda value: "" if _blank(value) else parse_currency(value)),
    Field(max_length=3, description="ISO 4217, e.g. THB"),
]


def flag(default: bool | None) -> Any:
    """Yes or no; an empty value is `default` (None: not known)."""
    kind: Any = bool if default is not None else bool | None
    return Annotated[
        kind,
        BeforeValidator(parse_flag),
        BeforeValidator(blank_to(default)),
        Field(description="yes or no (true/false, 1/0)"),
    ]


def whole(
    low: int,
    high: int,
    *,
    required: bool = False,
    default: int | None = None,
    message: Any = None,
) -> Any:
    """A whole number from `low` to `high`, given as a number or as digits ("12"). An empty
    value is refused when `required`, else becomes `default`. `message` (with %(n)s, the
    highest) is what a value that is not one reads; without it, "Enter a whole number." or
    the bound it passes ("At most 50.")."""

    def parse(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(str(message or _("Enter a whole number.")) % {"n": high})
        if message is not None and not low <= value <= high:
            raise ValueError(str(message) % {"n": high})
        return value

    kind: Any = int if required or default is not None else int | None
    blank = _required if required else blank_to(default)
    return Annotated[kind, Field(ge=low, le=high), BeforeValidator(parse), BeforeValidator(blank)]


def context_of(info: Any, key: str) -> Any:
    """What the writing service put in the check's context (None when checked without it)."""
    return (info.context or {}).get(key)


SiteCode = Annotated[
    str,
    BeforeValidator(_strip),
    BeforeValidator(_required),
    Field(max_length=64, description="Code of a site in your places"),
]


# -- fields from the model ----------------------------------------------------------------------


def column_of(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The model's concrete field `name`."""
    column = model._meta.get_field(name)
    if not isinstance(column, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return column


def coded(
    model: type[models.Model], name: str, values: Iterable[str], *, default: str | None = None
) -> Any:
    """The contract's type for the model's field `name` whose code list lives outside the
    model (vaccines, destination programmes): exactly `values` (an enum in OpenAPI), which fit
    the column. An empty value becomes `default` (None: refused)."""
    values = tuple(values)
    column = column_of(model, name)
    if column.max_length is None or max(map(len, values)) > column.max_length:
        raise TypeError(f"{model.__name__}.{name}: a code is longer than the column")
    blank = _required if default is None else blank_to(default)
    return Annotated[
        Literal.__getitem__(values),
        Field(json_schema_extra={"maxLength": column.max_length}),
        BeforeValidator(blank),
        BeforeValidator(_strip),
    ]


def allowed_values(model: type[models.Model], name: str) -> tuple[str, ...]:
    """The values the model's field `name` allows, as stored."""
    return tuple(str(value) for value, _label in column_of(model, name).flatchoices)


def field(model: type[models.Model], name: str, *, required: bool | None = None) -> Any:
    """The contract's type for the model's field `name`.

    A coded field takes exactly the field's choices (an enum in OpenAPI); text takes the
    column's length (free text: MAX_TEXT). Whether it is required follows the column (not
    blank, no default) unless `required` says; an empty value of an optional field becomes
    the column's default, or blank.
    """
    column = column_of(model, name)
    if required is None:
        required = not column.blank and not column.has_default()
    empty = column.default if column.has_default() and not callable(column.default) else ""
    if column.choices:
        values = allowed_values(model, name)
        kind: Any = Literal.__getitem__(values)
        if not required and empty == "":
            kind = Literal.__getitem__(("", *values))
        meta = Field()
    elif isinstance(column, models.CharField | models.TextField):
        kind = str
        meta = Field(max_length=column.max_length or MAX_TEXT)
    else:
        raise TypeError(f"{model.__name__}.{name}: declare this field's type in the contract")
    blank = BeforeValidator(_required if required else blank_to(empty))
    return Annotated[kind, blank, BeforeValidator(_strip), meta]


# -- the contract -------------------------------------------------------------------------------


def _nul_at(value: Any, where: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Where in a parsed value a text holds the NUL character, or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return where
        found = _nul_at(item, (*where, key))
        if found is not None:
            return found
    return None


def refuse_nul(data: Any) -> Any:
    """`data`, unless a text in it holds the NUL character: refused naming where it is (no
    database column stores it, and no name, code or note needs it)."""
    where = _nul_at(getattr(data, "_obj", data), ())  # ninja may hand a body wrapped
    if where is not None:
        raise ValueError(
            _("%(field)s: text cannot contain the NUL character.")
            % {"field": ".".join(str(part) for part in where) or "body"}
        )
    return data


class Contract(BaseModel):
    """What one write of a record kind takes. Unknown fields are refused; text holding the NUL
    character is refused naming where it is (no database column stores it).

    `model` is the Django model the contract fills: page forms take their choices' labels
    from it."""

    model_config = ConfigDict(extra="forbid")
    model: ClassVar[type[models.Model] | None] = None
    is_update: ClassVar[bool] = False
    # Values a coded field takes beyond the model's choices, each with why (tests/test_contracts)
    extra_values: ClassVar[dict[str, dict[str, str]]] = {}

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        return refuse_nul(data)

    @classmethod
    def update(cls) -> type[Self]:
        """The contract of a change: every field optional; only the fields given change.
        Cross-field rules look at what was given (`given`)."""
        return cast(type[Self], _update_of(cls))

    @classmethod
    def check(cls, data: Any, *, update: bool = False, **context: Any) -> Self:
        """`data` (a mapping, or a contract) as this contract, or Django's ValidationError
        with translated messages by dotted path. The `context` (the writing `user`, the
        `person` written about) lets the scoped checks run with the others, so every problem
        is reported at once; a contract checked without it is checked again with it."""
        target = cls.update() if update else cls
        if isinstance(data, target) and not context:
            return data
        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_unset=True)
        if not isinstance(data, Mapping):
            raise ValidationError({"__all__": [_("Expected an object.")]})
        try:
            return target.model_validate(dict(data), context=context)
        except PydanticError as exc:
            raise ValidationError(errors_of(exc.errors(include_url=False))) from None

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The fields in order: an import's columns, a form's fields."""
        return tuple(cls.model_fields)

    def value_of(self, name: str, info: Any) -> Any:
        """The field's value once written: as given, else (a change) the record's, the record
        being what the writing service put in the context as `record`."""
        if not self.is_update or name in self.model_fields_set:
            return getattr(self, name)
        return getattr(context_of(info, "record"), name, None)

    def given(self) -> dict[str, Any]:
        """The fields to write: all of them for a new record, those given for a change."""
        names = self.model_fields_set if self.is_update else type(self).model_fields
        return {name: getattr(self, name) for name in type(self).model_fields if name in names}


@cache
def _update_of(cls: type[Contract]) -> type[Contract]:
    fields: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        # Not given: None, unchecked and left out of `given()`. Given, even as null: checked as
        # for a new record (a null coded field becomes its default, or is refused).
        annotation = info.annotation
        if info.metadata:  # Annotated takes at least one annotation
            annotation = Annotated.__class_getitem__((info.annotation, *info.metadata))  # type: ignore[attr-defined]  # built at run time
        fields[name] = (
            annotation,
            Field(None, description=info.description, json_schema_extra=info.json_schema_extra),
        )
    update = create_model(f"{cls.__name__}Change", __base__=cls, **fields)
    update.is_update = True
    update.__doc__ = f"A change to a record: only the fields given change. {cls.__doc__ or ''}"
    return update


# -- errors -------------------------------------------------------------------------------------


def refuse(errors: Mapping[str, str | list[str]]) -> None:
    """From a validator: refuse with messages at dotted paths inside what it validates (a
    model validator of a name reports on "text", a list's validator on "0.start_date"), so a
    rule that looks at several fields still names the one to correct. Nothing to refuse: no-op."""
    details = []
    for path, messages in errors.items():
        loc = tuple(int(part) if part.isdigit() else part for part in path.split(".") if part)
        for message in [messages] if isinstance(messages, str) else messages:
            error = PydanticCustomError("value_error", "{message}", {"message": str(message)})
            details.append(InitErrorDetails(type=error, loc=loc, input=None))
    if details:
        raise PydanticError.from_exception_data("refused", details)


def path_of(loc: Iterable[Any]) -> str:
    """A pydantic location as a dotted path, without the API's "body"/"payload"."""
    parts = [str(part) for part in loc]
    while parts and parts[0] in ("body", "payload"):
        parts.pop(0)
    return ".".join(parts) or "__all__"


def message_of(error: Mapping[str, Any]) -> str:
    """One pydantic error as the user reads it, in their language."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("literal_error", "enum"):
        allowed = ", ".join(
            part.strip().strip("'")
            for part in ctx.get("expected", "").replace(" or ", ",").split(",")
            if part.strip().strip("'")
        )
        if "input" in error:
            return _("“%(value)s” is not one of the allowed values: %(allowed)s.") % {
                "value": error["input"],
                "allowed": allowed,
            }
        return _("Not one of the allowed values: %(allowed)s.") % {"allowed": allowed}
    if kind == "string_too_long" or (kind == "too_long" and isinstance(error.get("input"), str)):
        # A length checked after a parser is pydantic's "too_long", even for text.
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("At most %(n)s items.") % {"n": ctx.get("max_length")}
    if kind in ("string_type", "string_sub_type"):
        return _("Expected text.")
    if kind in ("list_type", "tuple_type"):
        return _("Expected a list.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Expected an object.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Expected yes or no.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("At least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("At most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind.startswith("date"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg", ""))


def errors_of(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Pydantic's errors by dotted path ("diagnoses.0.code"), each message once."""
    out: dict[str, list[str]] = {}
    for error in errors:
        messages = out.setdefault(path_of(error.get("loc", ())), [])
        message = message_of(error)
        if message not in messages:
            messages.append(message)
    return out


def field_of(path: str, paths: Mapping[str, str]) -> str | None:
    """The field of a flat shape (a page form, an import row) an error path lands on: the one
    `paths` gives for the path or, failing that, for its longest leading part ("languages.2"
    lands where "languages" does); None when no part of it is a field."""
    parts = path.split(".")
    while parts:
        found = paths.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def form_errors(
    form: forms.Form,
    exc: ValidationError,
    fallback: str | None = None,
    paths: Mapping[str, str] | None = None,
) -> None:
    """A service's errors on the page form's fields: the first part of a path names the field
    ("diagnoses.0.code" lands on `diagnoses`) or, for a form that flattens the contract,
    `paths` maps it (`field_of`); a path naming no field of the form goes to `fallback` (None:
    the form as a whole), saying the path."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for path, messages in errors.items():
        target = field_of(path, paths) if paths is not None else path.split(".", 1)[0]
        if target not in form.fields:
            messages = messages if path == "__all__" else [f"{path}: {m}" for m in messages]
        for message in messages:
            form.add_error(target if target in form.fields else fallback, message)


# -- page form fields from the contract ---------------------------------------------------------


def _literal_values(annotation: Any) -> tuple[str, ...] | None:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _literal_values(get_args(annotation)[0])
    if origin is Literal:
        return tuple(get_args(annotation))
    if origin is Union or isinstance(annotation, types.UnionType):
        values = [v for arg in get_args(annotation) for v in (_literal_values(arg) or ())]
        return tuple(values) or None
    return None


def choices_of(contract: type[Contract], name: str) -> list[tuple[str, Any]]:
    """The values the contract's field `name` allows (without the empty one), each with its
    label in the model (the value itself when the model has none)."""
    values = _literal_values(contract.model_fields[name].annotation) or ()
    labels: dict[Any, Any] = {}
    if contract.model is not None:
        try:
            labels = dict(column_of(contract.model, name).flatchoices)
        except FieldDoesNotExist:  # a field of the contract only
            labels = {}
    return [(v, labels.get(v, v)) for v in values if v != ""]


def range_of(contract: type[Contract], name: str) -> tuple[Any, Any]:
    """The lowest and highest value the contract's field `name` takes (None: unbounded)."""
    metadata = contract.model_fields[name].metadata
    low = next((m.ge for m in metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in metadata if getattr(m, "le", None) is not None), None)
    return low, high


class ContractChoiceField(forms.ChoiceField):
    """A choice the contract checks, so a value outside it reads as it does in the API and
    in imports."""

    def valid_value(self, value: Any) -> bool:
        return True


def form_field(contract: type[Contract], name: str, **kwargs: Any) -> forms.Field:
    """The page form's field for the contract's field `name`: a choice of exactly its allowed
    values (labelled as the model labels them) or text of its length. The form gives the
    label and widget; the contract, through the service, checks the value."""
    info = contract.model_fields[name]
    kwargs.setdefault("required", False)
    values = _literal_values(info.annotation)
    if values is not None and "choices" not in kwargs:
        kwargs["choices"] = choices_of(contract, name)
        if "" in values or not kwargs["required"]:
            kwargs["choices"] = [("", "—"), *kwargs["choices"]]
    if "choices" in kwargs:
        return ContractChoiceField(**kwargs)
    length = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
    kwargs.setdefault("max_length", length)
    if length is not None:  # too long reads as the contract says it (message_of)
        kwargs.setdefault("error_messages", {"max_length": _at_most_characters(length)})
    return forms.CharField(**kwargs)


def _at_most(n: int) -> str:
    return _("At most %(n)s characters.") % {"n": n}


# Put in the user's language when shown, not when the form class is made.
_at_most_characters = lazy(_at_most, str)


class _ContractFormMetaclass(forms.forms.DeclarativeFieldsMetaclass):
    """Gives a form with a `contract` a field for each of the contract's fields it does not
    declare itself (labelled as the model labels it), in the contract's order."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        cls: Any = super().__new__(mcs, name, bases, attrs)
        contract = getattr(cls, "contract", None)
        if contract is None:
            return cls
        fields = {}
        for column in contract.columns():
            fields[column] = cls.base_fields.get(column) or form_field(
                contract, column, label=_label_of(contract, column)
            )
        fields.update((k, v) for k, v in cls.base_fields.items() if k not in fields)
        cls.base_fields = cls.declared_fields = fields
        return cls


def _label_of(contract: type[Contract], name: str) -> Any:
    from django.utils.text import capfirst

    if contract.model is not None:
        return capfirst(column_of(contract.model, name).verbose_name)
    return capfirst(name.replace("_", " "))


class ContractForm(forms.Form, metaclass=_ContractFormMetaclass):
    """A page form that collects a contract's fields; the service checks them."""

    contract: ClassVar[type[Contract] | None] = None


# -- what the API shows of a record -------------------------------------------------------------


def _stored_type(annotation: Any) -> Any:
    """The type a contract's field has once stored, as the API shows it."""
    if _literal_values(annotation) is not None:
        return str
    args = get_args(annotation) if get_origin(annotation) is not Annotated else ()
    base = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
    if base is Decimal or Decimal in args:
        return str | None
    if base is date or date in args:
        return date | None
    if base is bool:
        return bool
    if base is int or int in args:
        return int | None
    return str


def output_schema(contract: type[Contract], name: str, **fields: Any) -> type[BaseModel]:
    """The API's view of a record of `contract`: each of its fields as stored, except those
    given in `fields` (name → type), which come first. Adding a field to the contract adds
    it here."""
    from ninja import Schema

    shown: dict[str, Any] = {key: (kind, ...) for key, kind in fields.items()}
    for column, info in contract.model_fields.items():
        if column not in shown:
            shown[column] = (_stored_type(info.annotation), ...)
    return create_model(name, __base__=Schema, **shown)


def stored_values(contract: type[Contract], record: Any, *skip: str) -> dict[str, Any]:
    """The record's values of the contract's fields (but `skip`), as output_schema shows them."""
    out = {}
    for column in contract.columns():
        if column in skip:
            continue
        value = getattr(record, column)
        out[column] = str(value) if isinstance(value, Decimal) else value
    return out

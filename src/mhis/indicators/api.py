"""Indicators API: the catalogue, and one indicator for a place and periods, suppressed."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from mhis.access.auth import api_auth
from mhis.places.models import Place

from . import services

router = Router(tags=["indicators"], auth=api_auth)


class IndicatorOut(Schema):
    code: str
    name: str
    description: str
    unit: str
    disaggregations: list[str]
    frameworks: dict[str, list[str]]


class CellOut(Schema):
    period: str
    dimensions: dict[str, str | None] = Field(description="a dimension at None is its total")
    numerator: int | None
    denominator: int | None
    value: float | None
    hidden: str = Field(
        description='why the numbers are withheld: "" (they are not) | "small" | "sensitive"'
    )


class ResultOut(Schema):
    indicator: str
    place: str
    exact: bool = Field(
        description="true: exact counts (a role that sees every person counted); false: counts "
        "with the cell-key adjustment (see docs/security.md)"
    )
    cells: list[CellOut]


class ResultQuery(Schema):
    place: str = Field(description="place code")
    period: list[str] = Field(description="2026-W07, 2026-02, 2026-Q1 or 2026; repeatable")
    by: list[str] = Field(default_factory=list, description="disaggregations")


def _out(indicator) -> dict:
    return {
        "code": indicator.code,
        "name": _(indicator.name),
        "description": _(indicator.description) if indicator.description else "",
        "unit": indicator.unit,
        "disaggregations": list(indicator.disaggregations),
        "frameworks": {k: list(v) for k, v in indicator.frameworks.items()},
    }


@router.get("/indicators", response=list[IndicatorOut])
def list_indicators(request):
    return [_out(i) for i in services.visible_indicators(request.user)]


@router.get("/indicators/{code}", response=ResultOut)
def indicator_result(request, code: str, query: Query[ResultQuery]):
    place = get_object_or_404(Place, code=query.place)
    result = services.published(request.user, code, query.period, place, tuple(query.by))
    return {
        "indicator": code,
        "place": place.code,
        "exact": result.exact,
        "cells": [
            {
                "period": c.key[0],
                "dimensions": dict(zip(result.by, c.key[1:], strict=True)),
                "numerator": c.numerator,
                "denominator": c.denominator,
                "value": c.value,
                "hidden": c.flag,
            }
            for c in result.cells
        ],
    }

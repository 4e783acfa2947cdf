"""Indicator definitions as data: the pack loads, and a mistake names its file and field."""

from pathlib import Path

import pytest

from mhis.indicators import pack_strings
from mhis.indicators.definitions import DefinitionError, load, load_file, parse

GOOD = """
[MY_RATE]
name = "X-ray coverage among women"
unit = "percentage"
source = "assessment"
where = { sex = "female" }
numerator = { where = { xray_read = true } }
denominator = {}
"""


def _write(tmp_path, text, name="custom.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_standard_pack_loads():
    pack = load()
    assert len(pack) >= 20
    for indicator in pack.values():
        assert indicator.name and indicator.unit
        assert indicator.frameworks, f"{indicator.code} has no framework tag"


def test_every_pack_name_is_translatable():
    marked = set(pack_strings.STRINGS)
    for indicator in load().values():
        assert indicator.name in marked, indicator.code
        assert indicator.description in marked, indicator.code


def test_numerator_counted_within_denominator(tmp_path):
    [indicator] = load_file(_write(tmp_path, GOOD))
    assert [c.column for c in indicator.denominator.where] == ["sex"]
    assert [c.column for c in indicator.numerator.where] == ["sex", "xray_read"]


@pytest.mark.parametrize(
    ("typo", "field"),
    [
        ('numerater = {}', "numerater"),
        ('unit = "percent"', "unit"),
        ('source = "assesment"', "source"),
        ('numerator = { where = { xray_raed = true } }', "numerator.where.xray_raed"),
        ('numerator = { where = { xray_read = "yes" } }', "numerator.where.xray_read"),
        ('numerator = { where = { xray_result = "suggestiv" } }', "numerator.where.xray_result"),
        ('numerator = { where = { days_to_results = { gte = 5, betwen = 3 } } }',
         "numerator.where.days_to_results.betwen"),
        ('disaggregations = ["sex", "antigen"]', "disaggregations"),
        ('frameworks = { gcm = ["24"] }', "frameworks.gcm"),
        ('frameworks = { sgd = ["3.8"] }', "frameworks.sgd"),
        ('suppression = "off"', "suppression"),
    ],
)  # fmt: skip
def test_a_typo_is_rejected_naming_the_field(tmp_path, typo, field):
    key = typo.split(" ", 1)[0]
    lines = [line for line in GOOD.splitlines() if not line.startswith(key + " ")]
    path = _write(tmp_path, "\n".join([*lines, typo]))
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    assert caught.value.field == field
    assert str(caught.value).startswith("custom.toml: [MY_RATE]: " + field)


def test_missing_denominator_named():
    with pytest.raises(DefinitionError, match="denominator"):
        parse("RATE", {"name": "r", "unit": "percentage", "source": "encounter", "numerator": {}})


def test_median_needs_a_numeric_column():
    with pytest.raises(DefinitionError) as caught:
        parse("MED", {"name": "m", "unit": "median_days", "source": "referral",
                      "value": "kind", "numerator": {}})  # fmt: skip
    assert caught.value.field == "value"


def test_broken_toml_names_the_file(tmp_path):
    with pytest.raises(DefinitionError, match=r"^broken\.toml: file"):
        load_file(_write(tmp_path, "[X\nname=", "broken.toml"))


def test_duplicate_code_across_files(tmp_path):
    _write(tmp_path, GOOD.replace("MY_RATE", "CXR_COVERAGE"))
    with pytest.raises(DefinitionError, match=r"already defined in assessment\.toml"):
        load([tmp_path])


def test_extra_directory_adds_definitions(tmp_path):
    _write(tmp_path, GOOD)
    assert "MY_RATE" in load([tmp_path])


def test_bad_definition_stops_the_system(tmp_path, settings):
    from django.core.exceptions import ImproperlyConfigured

    from mhis.indicators import services

    _write(tmp_path, GOOD.replace('unit = "percentage"', 'unit = "ratio"'))
    settings.MHIS_INDICATOR_DIRS = [str(tmp_path)]
    services.catalogue.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match=r"custom.toml: \[MY_RATE\]: unit"):
            services.catalogue()
    finally:
        settings.MHIS_INDICATOR_DIRS = []
        services.catalogue.cache_clear()


def test_check_command(tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("indicators", "check")
    assert "definitions are valid" in capsys.readouterr().out
    with pytest.raises(CommandError, match=r"numerator\.where\.xray_raed"):
        call_command(
            "indicators", "check", str(_write(tmp_path, GOOD.replace("xray_read", "xray_raed")))
        )

"""Template filters for care records: ICD-10 titles, TB classifications, vaccine names."""

from django import template

from mhis.care.codes import TB_CLASSIFICATIONS
from mhis.care.models import Assessment
from mhis.care.services import icd10_description
from mhis.care.vaccines import VACCINES

register = template.Library()


@register.filter
def icd10(code: str) -> str:
    """The WHO ICD-10 title of a code."""
    return icd10_description(code)


@register.filter
def tb_class(assessment: Assessment) -> str:
    """The label of an assessment's TB classification in its destination programme."""
    label = TB_CLASSIFICATIONS.get(assessment.programme, {}).get(assessment.tb_classification)
    return str(label) if label else assessment.tb_classification


@register.filter
def vaccine(code: str) -> str:
    return str(VACCINES[code][0]) if code in VACCINES else code

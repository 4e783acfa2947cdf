"""Burmese and Karen names in the spellings of passports and permits, and found by them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mhis.names import index_keys, name_tokens, query_plan, romanise
from mhis.names._burmese import SYLLABLES, syllables

from .test_names import matches

# Written as the person writes it -> as it stands on a passport, a work permit or a pink card.
PASSPORT_SPELLINGS = [
    ("နော်ဝါဝါမိုး", "Naw Wa Wa Moe"),
    ("မောင်မောင်", "Maung Maung"),
    ("ဦးအောင်ကျော်", "U Aung Kyaw"),
    ("ဒေါ်ခင်မြင့်", "Daw Khin Myint"),
    ("ကိုဇော်မင်း", "Ko Zaw Min"),
    ("မသန့်ဇင်", "Ma Thant Zin"),
    ("စောထူးထူး", "Saw Htoo Htoo"),
    ("ထွန်းထွန်းလွင်", "Htun Htun Lwin"),
    ("နေလင်းအောင်", "Nay Lin Aung"),
    ("မင်းခန့်ကျော်", "Min Khant Kyaw"),
    ("စိုးမိုးအောင်", "Soe Moe Aung"),
    ("ခိုင်ဇာဝင်း", "Khaing Zar Win"),
    ("အေးအေးမြင့်", "Aye Aye Myint"),
    ("ဖြိုးဝေအောင်", "Phyo Wai Aung"),
    ("နှင်းဝေဖြူ", "Hnin Wai Phyu"),
    ("သီဒါထွန်း", "Thi Da Htun"),
    ("မြတ်နိုးသူ", "Myat Noe Thu"),
    ("ကျော်ဇော်ထက်", "Kyaw Zaw Htet"),
    ("ဆုမြတ်နိုး", "Hsu Myat Noe"),
    ("ဒေါ်အုန်းမာ", "Daw Ohn Mar"),
    ("အိအိခိုင်", "Ei Ei Khaing"),
    ("ကိုကိုကြီး", "Ko Ko Gyi"),
    ("ရဲမင်းထွန်း", "Ye Min Htun"),
    ("ပြည့်ဖြိုးကျော်", "Pyae Phyo Kyaw"),
    ("နန်းဆွေဆွေ", "Nang Swe Swe"),
    ("စိုင်းလှမောင်", "Sai Hla Maung"),
    ("ခွန်ထွန်းအောင်", "Khun Htun Aung"),
    ("မိမွန်မွန်", "Mi Mon Mon"),
    ("ဦးသိန်းဝင်း", "U Thein Win"),
    ("ဒေါ်တင်တင်အေး", "Daw Tin Tin Aye"),
    ("မောင်ဟန်ထက်", "Maung Han Htet"),
    ("ဒေါ်စန်းစန်းရီ", "Daw San San Yi"),
    ("ဦးညွန့်ဝေ", "U Nyunt Wai"),
    ("ကိုချမ်းမြေ့", "Ko Chan Myae"),
    ("မယုယုဝင်း", "Ma Yu Yu Win"),
    ("ဒေါ်ခင်ခင်နွယ်", "Daw Khin Khin Nwe"),
    ("ကိုရှိန်းမင်း", "Ko Shein Min"),
    ("မောင်ကောင်းမြတ်", "Maung Kaung Myat"),
    ("မသဉ္ဇာ", "Ma Thin Zar"),
    ("နော်ပေါထူး", "Naw Paw Htoo"),
    ("စောအဲထူး", "Saw Eh Htoo"),
    ("ဦးဘသိန်း", "U Ba Thein"),
    ("မောင်ဇင်ကိုကို", "Maung Zin Ko Ko"),
    ("ဒေါ်ငြိမ်းငြိမ်း", "Daw Nyein Nyein"),
    ("မြင့်မြင့်ချို", "Myint Myint Cho"),
    ("ဟိန်းထက်ဇော်", "Hein Htet Zaw"),
    ("ယဉ်ယဉ်မာ", "Yin Yin Mar"),
    ("လှလှဝင်း", "Hla Hla Win"),
    ("ဖုန်းမြင့်ကျော်", "Phone Myint Kyaw"),
    ("မင်းသူရ", "Min Thu Ya"),
    ("ထွန်း ထွန်း", "Htun Htun"),  # typed with a space between syllables
]


def test_there_are_enough_real_world_pairs():
    assert len(PASSPORT_SPELLINGS) >= 40


@pytest.mark.parametrize(("written", "passport"), PASSPORT_SPELLINGS)
def test_burmese_and_karen_names_romanise_to_their_passport_spelling(written, passport):
    assert romanise(written) == passport


@pytest.mark.parametrize(("written", "passport"), PASSPORT_SPELLINGS)
def test_a_name_is_found_by_its_passport_spelling_and_by_its_script(written, passport):
    keys = index_keys(written)
    assert matches(query_plan(passport), keys)
    assert matches(query_plan(written), keys)
    assert name_tokens(written) == name_tokens(passport)


def test_the_name_from_the_report_is_found_without_her_title():
    keys = index_keys("နော်ဝါဝါမိုး")
    for typed in ("ဝါဝါမိုး", "Naw Wa Wa Moe", "Wa Wa Moe", "wawamoe", "NAW WA WA MOE"):
        assert matches(query_plan(typed), keys), typed
    assert not matches(query_plan("ဝါဝါဝင်း"), keys)
    assert not matches(query_plan("Wa Wa Win"), keys)


def test_a_name_is_cut_into_its_syllables():
    assert syllables("နော်ဝါဝါမိုး") == ["နော်", "ဝါ", "ဝါ", "မိုး"]
    assert syllables("မြင့်မြင့်စိုး") == ["မြင့်", "မြင့်", "စိုး"]  # creaky dot before asat
    assert syllables("သဉ္ဇာ") == ["သဉ္", "ဇာ"]  # a stacked consonant starts a syllable


def test_syllables_outside_the_table_are_spelled_by_rule_in_the_same_style():
    assert "လင်း" not in SYLLABLES and romanise("လင်း") == "Lin"
    assert "ခမ်း" not in SYLLABLES and romanise("ခမ်း") == "Khan"
    assert "ကြင့်" not in SYLLABLES and romanise("ကြင့်") == "Kyint"


@given(st.lists(st.sampled_from(sorted(SYLLABLES)), min_size=1, max_size=5))
def test_any_name_of_known_syllables_is_spelled_word_by_word_in_latin(parts):
    latin = romanise("".join(parts))
    assert latin.isascii() and latin.replace(" ", "").isalpha()
    assert matches(query_plan(latin), index_keys("".join(parts)))

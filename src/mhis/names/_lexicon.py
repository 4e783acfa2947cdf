"""Name elements by script, with the Latin spellings seen on passports, permits and clinic cards.

Each entry: (ISO 15924 script, name element as written, conventional Latin spelling,
other Latin spellings in use). The romaniser maps a written element to its conventional
spelling; search folds every listed spelling to the conventional one; the demo world draws
names and spelling variants from the same entries, so what it generates is what search knows.
"""

from __future__ import annotations

LEXICON: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # Burmese: syllables; names have no family name, each syllable is a Latin word.
    ("Mymr", "မောင်", "Maung", ("Mg", "Mong")),
    ("Mymr", "အောင်", "Aung", ("Aong",)),
    ("Mymr", "ကျော်", "Kyaw", ("Kyo", "Kyau")),
    ("Mymr", "ထွန်း", "Htun", ("Tun", "Htoon")),
    ("Mymr", "ဝင်း", "Win", ("Winn",)),
    ("Mymr", "မြင့်", "Myint", ("Myintt",)),
    ("Mymr", "စု", "Su", ("Soo",)),
    ("Mymr", "ကြည်", "Kyi", ("Kyee", "Chi")),
    ("Mymr", "လှ", "Hla", ("Hlaa",)),
    ("Mymr", "မြ", "Mya", ("Myah",)),
    ("Mymr", "ခင်", "Khin", ("Khinn",)),
    ("Mymr", "ဇော်", "Zaw", ("Zao",)),
    ("Mymr", "မင်း", "Min", ("Minn",)),
    ("Mymr", "စိုး", "Soe", ("So",)),
    ("Mymr", "နိုင်", "Naing", ("Nai",)),
    ("Mymr", "သိန်း", "Thein", ("Thane",)),
    ("Mymr", "မိုး", "Moe", ("Mo",)),
    ("Mymr", "ထက်", "Htet", ("Htat", "Tet")),
    ("Mymr", "ဖြိုး", "Phyo", ("Pyo",)),
    ("Mymr", "သူ", "Thu", ("Thuu",)),
    ("Mymr", "လွင်", "Lwin", ("Lwinn",)),
    ("Mymr", "ဖြူ", "Phyu", ("Pyu",)),
    ("Mymr", "နှင်း", "Hnin", ("Nhin",)),
    ("Mymr", "အေး", "Aye", ("Aye",)),
    ("Mymr", "သန်း", "Than", ("Thann",)),
    ("Mymr", "တင်", "Tin", ("Tinn",)),
    ("Mymr", "သီ", "Thi", ("Thee",)),
    ("Mymr", "ဒါ", "Da", ("Dar",)),
    ("Mymr", "ဇင်", "Zin", ("Zinn",)),
    ("Mymr", "ခိုင်", "Khaing", ("Khine",)),
    ("Mymr", "ထား", "Htar", ("Hta", "Htaa")),
    ("Mymr", "ဝေ", "Wai", ("Wei",)),
    ("Mymr", "နေ", "Nay", ("Nei", "Ne")),
    ("Mymr", "ရဲ", "Ye", ("Yel",)),
    ("Mymr", "ချို", "Cho", ("Cho",)),
    ("Mymr", "ညို", "Nyo", ("Nyoe",)),
    ("Mymr", "ဦး", "U", ("Oo",)),
    ("Mymr", "ဒေါ်", "Daw", ("Dow",)),
    ("Mymr", "ကို", "Ko", ("Koh",)),
    ("Mymr", "မ", "Ma", ("Mah",)),
    # Khmer: family name first.
    ("Khmr", "សុខ", "Sok", ("Sokh",)),
    ("Khmr", "ចាន់", "Chan", ("Chann",)),
    ("Khmr", "គឹម", "Kim", ("Kem",)),
    ("Khmr", "ហេង", "Heng", ("Hang",)),
    ("Khmr", "លី", "Ly", ("Lee", "Li")),
    ("Khmr", "ជា", "Chea", ("Chia",)),
    ("Khmr", "ម៉ៅ", "Mao", ("Mau",)),
    ("Khmr", "ដារ៉ា", "Dara", ("Darra",)),
    ("Khmr", "សុភា", "Sophea", ("Sophia", "Sopheap")),
    ("Khmr", "សុផល", "Sophal", ("Sophall",)),
    ("Khmr", "វណ្ណា", "Vanna", ("Vana", "Wanna")),
    ("Khmr", "សំណាង", "Samnang", ("Samnag",)),
    ("Khmr", "ពិសី", "Pisey", ("Pisei", "Piseth")),
    ("Khmr", "បុប្ផា", "Bopha", ("Bupha",)),
    ("Khmr", "សុខា", "Sokha", ("Sokhar",)),
    # Lao: syllables written together; Latin spellings often join them.
    ("Laoo", "ບຸນ", "Boun", ("Bun", "Boon")),
    ("Laoo", "ມີ", "My", ("Mi", "Mee")),
    ("Laoo", "ຄຳ", "Kham", ("Kam",)),
    ("Laoo", "ສົມ", "Som", ("Sone",)),
    ("Laoo", "ພອນ", "Phone", ("Phon", "Porn")),
    ("Laoo", "ແກ້ວ", "Keo", ("Kaew", "Keow")),
    ("Laoo", "ທອງ", "Thong", ("Tong",)),
    ("Laoo", "ສີ", "Si", ("See",)),
    # Thai: whole given names and family names.
    ("Thai", "สมชาย", "Somchai", ("Somchay",)),
    ("Thai", "สมศักดิ์", "Somsak", ("Somsakdi",)),
    ("Thai", "วิชัย", "Wichai", ("Vichai",)),
    ("Thai", "สุดา", "Suda", ("Sudaa",)),
    ("Thai", "มาลี", "Malee", ("Mali",)),
    ("Thai", "ประเสริฐ", "Prasert", ("Prasoet",)),
    ("Thai", "สมหญิง", "Somying", ("Som-ying",)),
    ("Thai", "ใจดี", "Jaidee", ("Chaidi", "Jaidi")),
    ("Thai", "ศรีสุข", "Srisuk", ("Sisuk",)),
    ("Thai", "บุญมา", "Boonma", ("Bunma",)),
    ("Thai", "แก้วมณี", "Kaewmanee", ("Kaeomani",)),
    # Sinhala.
    ("Sinh", "නිමල්", "Nimal", ("Nimall",)),
    ("Sinh", "කමලා", "Kamala", ("Kamla",)),
    ("Sinh", "සුනිල්", "Sunil", ("Suneel",)),
    ("Sinh", "චමින්ද", "Chaminda", ("Chamindha",)),
    ("Sinh", "දිලානි", "Dilani", ("Dilanee",)),
    ("Sinh", "පෙරේරා", "Perera", ("Pereira",)),
    ("Sinh", "සිල්වා", "Silva", ("De Silva",)),
    ("Sinh", "බණ්ඩාර", "Bandara", ("Bandaara",)),
    ("Sinh", "කුමාර", "Kumara", ("Kumar",)),
    ("Sinh", "ජයසිංහ", "Jayasinghe", ("Jayasinha",)),
    # Nepali (Devanagari).
    ("Deva", "राम", "Ram", ("Rama",)),
    ("Deva", "श्याम", "Shyam", ("Syam",)),
    ("Deva", "सीता", "Sita", ("Seeta",)),
    ("Deva", "गीता", "Gita", ("Geeta",)),
    ("Deva", "बहादुर", "Bahadur", ("Bahadoor", "Bdr")),
    ("Deva", "कुमार", "Kumar", ("Kumaar",)),
    ("Deva", "माया", "Maya", ("Maaya",)),
    ("Deva", "लक्ष्मी", "Laxmi", ("Lakshmi", "Laxmee")),
    ("Deva", "थापा", "Thapa", ("Thappa",)),
    ("Deva", "गुरुङ", "Gurung", ("Gurug",)),
    ("Deva", "तामाङ", "Tamang", ("Tamag",)),
    ("Deva", "श्रेष्ठ", "Shrestha", ("Shresta", "Srestha")),
    ("Deva", "राई", "Rai", ("Raai",)),
    ("Deva", "शर्मा", "Sharma", ("Sarma",)),
)

# Latin spellings that stand for another in the way names are written down, as token → canonical.
ABBREVIATIONS: dict[str, str] = {"mg": "maung", "bdr": "bahadur", "md": "mohammad"}

# Honorifics and titles that precede Burmese and Karen names; optional when searching.
HONORIFICS_LATIN = frozenset({"u", "daw", "ko", "ma", "saw", "naw", "nang", "sai", "sr", "sra"})
HONORIFICS_SCRIPT = frozenset({"ဦး", "ဒေါ်", "ကို"})

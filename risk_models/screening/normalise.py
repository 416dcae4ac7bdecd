"""Names reduced to comparable tokens: case, accents, punctuation, titles, word order and common
transliteration variants folded away, so that only spelling differences remain to be scored.

The folding is deliberately short and symmetric: list names and customer names go through the
same steps, so a rule only has to make two spellings of one name meet, not be linguistically
right. Each step is a table below with the examples it exists for. Names in non-Latin scripts
(Cyrillic, Arabic, Chinese) keep their letters: transliterating scripts is not attempted, and
lists give Latin spellings of their names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Letters that Unicode decomposition leaves alone but that have an obvious Latin base.
_SPECIAL_LETTERS = str.maketrans({
    "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l",
    "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "Þ": "th", "ı": "i",
})
# Apostrophes and the transliteration marks of ayn and hamza join what they separate
# (O'Brien = OBrien, Sa'id = Said); any other punctuation, hyphens included, separates words.
_JOINING_MARKS = re.compile(r"['’‘`´ʿʾʻ]")
_SEPARATORS = re.compile(r"[^\w]+|_")

# Words that say who someone is, not what they are called: dropped wherever they stand.
HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev",  # English
    "sheikh", "shaykh", "shaikh", "sheik", "cheikh",  # Arabic: elder, scholar
    "hajji", "haji", "hajj", "alhaji",  # Arabic, West African: one who made the Hajj
    "mullah", "mulla", "maulana", "mawlana", "mawlawi", "maulvi",  # religious scholar
    "jr", "sr",  # generational suffixes
})
# Articles and particles written sometimes as separate words, sometimes not at all
# (Abd al-Rahman / Abdul Rahman, Ayman al-Zawahiri / Ayman Zawahiri, Juan de la Cruz).
PARTICLES = frozenset({
    "al", "el", "ul",
    "de", "del", "della", "di", "da", "do", "dos", "das", "du", "van", "von", "der", "den",
})
# A one-word "Abdul..." name is the two words Abd and the rest (Abdulrahman, Abdirahman =
# Abd al-Rahman; Abdelaziz = Abd al-Aziz); Abdullah and Abdallah stay whole (see VARIANTS).
_ABD_PREFIX = re.compile(
    r"^(?:abdul|abdel|abdal|abdol|abdoul|abdur|abdi|abdu|abd)(?=[a-z]{3,})"
)

# Spelling rules, applied in this order to every word of every name.
SPELLING_RULES: tuple[tuple[str, str, str], ...] = (
    # (pattern, replacement, the spellings it makes meet)
    (r"dzh", "j", "Dzhokhar / Jokhar"),
    (r"kh", "h", "Khalid / Halid, Mikhail / Mihail"),
    (r"ph", "f", "Mustapha / Mustafa, Josephine / Josefine"),
    (r"q", "k", "Qasim / Kasim, Qadir / Kadir"),
    (r"ou", "u", "Youssef / Yussef, Mahmoud / Mahmud"),
    (r"oo", "u", "Noor / Nur"),
    (r"ee", "i", "Fareed / Farid, Saeed / Said"),
    (r"x", "ks", "Alexei / Aleksei"),
    (r"ai|ay|ey", "ei", "Hussain / Husayn / Hussein, Sergey / Sergei, Faisal / Faysal"),
    (r"iy", "i", "Zakariya / Zakaria, Yuriy / Yuri"),
    (r"(.)\1+", r"\1", "Mohammed / Mohamed, Hassan / Hasan"),
    (r"of$", "ov", "Smirnoff / Smirnov"),
    (r"(?<=.)y$", "i", "Dmitry / Dmitri"),
)
_COMPILED_RULES = tuple((re.compile(pattern), replacement) for pattern, replacement, _ in
                        SPELLING_RULES)

# Whole-word variants the rules do not make meet: canonical spelling -> other spellings.
VARIANTS: dict[str, tuple[str, ...]] = {
    "muhammad": ("mohammed", "mohamed", "mohammad", "mohamad", "muhammed", "muhamed", "mohd"),
    "abd": ("abdul", "abdel", "abdal", "abdol", "abdoul"),
    "abdullah": ("abdallah", "abdulla", "abdalla"),
    "husayn": ("hussein", "hussain", "hossein", "hosein", "husain", "hussien"),
    "yusuf": ("yousef", "youssef", "yousif", "yusef", "yousuf", "youssouf"),
    "aleksandr": ("alexander", "aleksander", "alexandr", "oleksandr", "aleksandar"),
    "kadafi": ("qaddafi", "gaddafi", "qadhafi", "gadhafi", "kadhafi", "qadhdhafi", "gadafi"),
    "usama": ("osama",),
    "umar": ("omar",),
    "ahmad": ("ahmed",),
    "mustafa": ("mostafa", "moustafa"),
    "ibrahim": ("ebrahim",),
}


def _spell(word: str) -> str:
    for pattern, replacement in _COMPILED_RULES:
        word = pattern.sub(replacement, word)
    return word


def _variant_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, others in VARIANTS.items():
        target = _spell(canonical)
        for spelling in (canonical, *others):
            key = _spell(spelling)
            if table.setdefault(key, target) != target:
                raise ValueError(f"{spelling!r} folds into two canonical names")
    return table


# Keyed by spelled-out forms, so a variant written with doubled letters or "ou" still meets.
_VARIANTS = _variant_table()


def ascii_fold(text: str) -> str:
    """Case-folded text with accents and ligatures reduced to Latin letters (NFKD)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class NameWord(NamedTuple):
    """One token of a name: its canonical form, and the word as written (accents, case and
    punctuation removed, spelling untouched), on which a typo is best measured."""

    canonical: str
    written: str


@lru_cache(maxsize=65_536)
def fold_word(word: str) -> tuple[NameWord, ...]:
    """The token(s) of one lower-case word: the Abdul prefix split off, spelling rules
    applied, then whole-word variants folded. Usually one token; none for an empty word."""
    if not word:
        return ()
    spelled = _spell(word)
    if spelled not in _VARIANTS:
        prefix = _ABD_PREFIX.match(word)
        if prefix:
            head = NameWord(_VARIANTS[_spell("abd")], word[: prefix.end()])
            return (head, *fold_word(word[prefix.end():]))
    return (NameWord(_VARIANTS.get(spelled, spelled), word),)


@lru_cache(maxsize=65_536)
def name_words(name: str) -> tuple[NameWord, ...]:
    """The tokens of a name, sorted by canonical form: word order never matters.

    Honorifics and particles are dropped, unless nothing else would be left. A one-letter
    token is an initial: it stays, and the matcher lets it stand for any word it starts.
    """
    words = _SEPARATORS.split(_JOINING_MARKS.sub("", ascii_fold(name)))
    words = [w for w in words if w]
    kept = [w for w in words if w not in HONORIFICS and w not in PARTICLES] or words
    return tuple(sorted(token for word in kept for token in fold_word(word)))


def name_tokens(name: str) -> tuple[str, ...]:
    """The sorted canonical tokens of a name.

    Examples
    --------
    >>> name_tokens("AL-ZAWAHIRI, Ayman")
    ('eiman', 'zawahiri')
    >>> name_tokens("Mohammed Abdulrahman al-Hussein")
    ('abd', 'husein', 'muhamad', 'rahman')
    """
    return tuple(word.canonical for word in name_words(name))


def normalise_name(name: str) -> str:
    """The canonical tokens of a name joined by spaces: equal for equal names."""
    return " ".join(name_tokens(name))


def is_initial(token: str) -> bool:
    """A one-letter token, which stands for any word starting with that letter."""
    return len(token) == 1

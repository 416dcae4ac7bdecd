"""Sentiment of support interactions: VADER extended with a credit-distress lexicon.

Plain VADER rates "I will file for bankruptcy", "I was made redundant" and "my payment will be
late" as neutral, because its lexicon comes from social media, not from collections calls. This
module adds single words (:data:`CREDIT_DISTRESS_LEXICON`) to a private copy of VADER's lexicon,
and multi-word phrases (:data:`DISTRESS_PHRASES`), which VADER cannot look up, are each replaced
by one placeholder token carrying the phrase's valence before scoring. A phrase thus counts once
(its words are not scored again) and VADER's own rules still apply to it: a negation in the
three words before it ("I am not behind on payments") turns its valence to a mildly positive
one, where plain VADER says 0.0 because it knows none of the words.

Choices a reviewer should know:

- Bare "default" is left out: servicing conversations say "default payment method" and
  "default settings" far more often than they speak of a loan in default. Only "defaulted" and
  the phrases "in default", "default notice" and "notice of default" count.
- "late" counts as a word (mildly, -1.2), whole tokens only: "later" and "lately" are other
  tokens. "I'm running late for the call" is a known false positive, kept because "I paid
  late" is the far more common use in a lender's inbox.
- "redundant" counts (-1.5) for "I am redundant now"; "this letter is redundant" is a false
  positive that costs little.

VADER's cost grows with the square of a text's length (about 5 ms for 1,000 characters, over a
second for 20,000), and its compound saturates at +-1 on long texts anyway. A text up to
:data:`CHUNK_CHARS` (most chat messages and e-mails) is scored whole, exactly as VADER scores it;
a longer one is scored sentence by sentence and its compound is the lowest sentence's, so one
distressed statement in a long friendly letter still shows (as the account's ``sentiment``
signal is the lowest interaction's). Nothing here logs the text; text longer than
:data:`MAX_TEXT_CHARS` is cut before scoring.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer, SentiText

__all__ = [
    "CHUNK_CHARS",
    "CREDIT_DISTRESS_LEXICON",
    "DISTRESS_PHRASES",
    "MAX_TEXT_CHARS",
    "CreditSentimentAnalyzer",
    "InteractionSentiment",
    "credit_sentiment_analyzer",
    "score_interaction",
]

# Long enough for any e-mail or chat transcript; a pasted document beyond it adds scoring time
# and no signal.
MAX_TEXT_CHARS = 20_000
# Texts up to this length are scored whole; longer ones sentence by sentence.
CHUNK_CHARS = 1_000

# Valences on VADER's scale (-4 to +4). Words VADER already knows (debt, hardship, bankrupt,
# eviction, struggling, foreclosure) are restated so that they are listed as distress terms and
# weighted for a lender: VADER's foreclosure is -0.5.
CREDIT_DISTRESS_LEXICON: Mapping[str, float] = MappingProxyType(
    {
        "arrears": -2.0,
        "bailiff": -2.5,
        "bailiffs": -2.5,
        "bankrupt": -2.8,
        "bankruptcy": -2.8,
        "collections": -1.2,
        "debt": -1.5,
        "debts": -1.5,
        "defaulted": -2.5,
        "evicted": -2.8,
        "eviction": -2.5,
        "foreclosed": -2.8,
        "foreclosure": -2.8,
        "garnish": -2.2,
        "garnished": -2.5,
        "garnishee": -2.2,
        "garnishment": -2.5,
        "hardship": -2.0,
        "indebted": -1.8,
        "insolvency": -2.8,
        "insolvent": -2.8,
        "jobless": -2.0,
        "late": -1.2,
        "overdrawn": -1.8,
        "overdue": -1.8,
        "redundancy": -2.0,
        "redundant": -1.5,
        "repossessed": -2.8,
        "repossession": -2.8,
        "struggling": -2.0,
        "unaffordable": -2.0,
        "unemployed": -2.2,
        "unemployment": -1.8,
    }
)

# Matched case-insensitively on whole words, any run of whitespace between words, with curly
# apostrophes read as straight ones. Where one phrase contains another, the longer wins.
DISTRESS_PHRASES: Mapping[str, float] = MappingProxyType(
    {
        "file for bankruptcy": -3.0,
        "filing for bankruptcy": -3.0,
        "filed for bankruptcy": -3.0,
        "made redundant": -2.5,
        "laid off": -2.5,
        "lost my job": -2.5,
        "lost my income": -2.5,
        "out of work": -2.0,
        "payment will be late": -2.0,
        "payments will be late": -2.0,
        "can't pay": -2.5,
        "cant pay": -2.5,
        "cannot pay": -2.5,
        "can not pay": -2.5,
        "unable to pay": -2.5,
        "won't be able to pay": -2.5,
        "will not be able to pay": -2.5,
        "can't afford": -2.5,
        "cant afford": -2.5,
        "cannot afford": -2.5,
        "can not afford": -2.5,
        "struggling to pay": -2.5,
        "behind on payments": -2.2,
        "behind on my payments": -2.2,
        "behind with payments": -2.2,
        "behind with my payments": -2.2,
        "behind on repayments": -2.2,
        "behind on my repayments": -2.2,
        "missed a payment": -1.8,
        "missed my payment": -1.8,
        "miss a payment": -1.8,
        "payment holiday": -1.5,
        "debt advice": -1.5,
        "debt collector": -2.0,
        "debt collectors": -2.0,
        "in default": -2.2,
        "default notice": -2.2,
        "notice of default": -2.2,
    }
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*")


@dataclass(frozen=True, slots=True)
class InteractionSentiment:
    """Scores of one interaction's text.

    Attributes
    ----------
    compound : float
        VADER compound score (-1 to 1) with the credit-distress lexicon and phrases.
    distress_terms : tuple of str
        Distinct distress words and phrases found, lower case, in order of first appearance.
    vader_compound : float
        Plain VADER's compound score of the same text, for comparison.
    """

    compound: float
    distress_terms: tuple[str, ...]
    vader_compound: float


class CreditSentimentAnalyzer:
    """VADER, and a copy of it whose lexicon knows credit distress.

    Parameters
    ----------
    base : SentimentIntensityAnalyzer, optional
        A plain VADER analyzer to start from (one is built when omitted). It is used as is for
        ``vader_compound`` and is not modified: the credit analyzer is a shallow copy with a
        lexicon dictionary of its own, and VADER's module-level tables are left alone.
    """

    def __init__(self, base: SentimentIntensityAnalyzer | None = None) -> None:
        self._plain = base if base is not None else SentimentIntensityAnalyzer()
        # Placeholder tokens: letters only, so VADER neither strips nor splits them, and never
        # containing "n't", which VADER would read as a negation of the words after it.
        self._phrase_tokens = {
            phrase: f"zzcreditdistress{chr(ord('a') + i // 26)}{chr(ord('a') + i % 26)}zz"
            for i, phrase in enumerate(DISTRESS_PHRASES)
        }
        self._token_phrases = {token: phrase for phrase, token in self._phrase_tokens.items()}
        self._credit = copy.copy(self._plain)
        self._credit.lexicon = {
            **self._plain.lexicon,
            **CREDIT_DISTRESS_LEXICON,
            **{token: DISTRESS_PHRASES[phrase] for phrase, token in self._phrase_tokens.items()},
        }
        alternatives = sorted(DISTRESS_PHRASES, key=len, reverse=True)
        self._phrases = re.compile(
            r"(?<![\w'])(?:"
            + "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in alternatives)
            + r")(?![\w'])",
            re.IGNORECASE,
        )

    def score(self, text: str) -> InteractionSentiment:
        """Score one interaction's text.

        Parameters
        ----------
        text : str
            The interaction's text; only its first :data:`MAX_TEXT_CHARS` characters are read.

        Returns
        -------
        InteractionSentiment
            Compound scores with and without the credit lexicon, and the distress terms found.

        Raises
        ------
        TypeError
            If `text` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        text = text[:MAX_TEXT_CHARS]
        if not text.strip():
            return InteractionSentiment(compound=0.0, distress_terms=(), vader_compound=0.0)
        marked = self._phrases.sub(self._placeholder, text.translate(_APOSTROPHES))
        return InteractionSentiment(
            compound=_lowest_compound(self._credit, marked),
            distress_terms=self._terms(marked),
            vader_compound=_lowest_compound(self._plain, text),
        )

    def _placeholder(self, match: re.Match[str]) -> str:
        phrase = " ".join(match.group(0).lower().split())
        return f" {self._phrase_tokens[phrase]} "

    def _terms(self, marked: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for token in SentiText(marked).words_and_emoticons:
            word = token.lower()
            if word in self._token_phrases:
                found.setdefault(self._token_phrases[word])
            elif word in CREDIT_DISTRESS_LEXICON:
                found.setdefault(word)
        return tuple(found)


def _lowest_compound(analyzer: SentimentIntensityAnalyzer, text: str) -> float:
    if len(text) <= CHUNK_CHARS:
        return float(analyzer.polarity_scores(text)["compound"])
    return min(float(analyzer.polarity_scores(piece)["compound"]) for piece in _sentences(text))


def _sentences(text: str) -> list[str]:
    """Split a long text into sentences of at most CHUNK_CHARS (a longer one is cut at a space)."""
    pieces: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text):
        while len(sentence) > CHUNK_CHARS:
            cut = sentence.rfind(" ", 0, CHUNK_CHARS)
            cut = cut if cut > 0 else CHUNK_CHARS
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence.strip():
            pieces.append(sentence)
    return pieces or [""]


@cache
def credit_sentiment_analyzer() -> CreditSentimentAnalyzer:
    """Return the process's one analyzer, built on first use (VADER reads its lexicon files).

    Returns
    -------
    CreditSentimentAnalyzer
        The shared analyzer; it holds no per-call state, so sharing it is safe.
    """
    return CreditSentimentAnalyzer()


def score_interaction(text: str) -> InteractionSentiment:
    """Score one interaction's text with the shared analyzer.

    Parameters
    ----------
    text : str
        The interaction's text.

    Returns
    -------
    InteractionSentiment
        See :meth:`CreditSentimentAnalyzer.score`.
    """
    return credit_sentiment_analyzer().score(text)

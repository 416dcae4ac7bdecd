"""Screening a person's name against the individuals of sanctions lists.

A name is first blocked: an inverted index of name tokens (canonical and as written) and of
each token with one letter deleted (so a typo, a dropped or doubled letter or two swapped
letters still meet) ranks the list's names by the rare tokens they share with the query, and
only the best few dozen are scored. Scoring aligns the two names' tokens with rapidfuzz's
similarity (of the canonical forms or of the words as written, whichever is closer), then lets
the dates of birth and nationalities that both sides state qualify the name's score: agreement
lends a little support, a clear contradiction takes more away. The matcher only ever says
``clear`` or ``potential_match``; a confirmed match is a person's decision on a potential one,
recorded elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from risk_models.screening.lists import ListEntry, ParsedList
from risk_models.screening.normalise import NameWord, is_initial, name_words

# The score at and above which a name is a potential match. Chosen with bench/screening.py
# on the bundled list (docs/benchmarks.md gives the trade-off at neighbouring values).
POTENTIAL_MATCH_THRESHOLD = 0.85

# How many of the list's names, ranked by the tokens they share with the query, are scored.
CANDIDATES = 40
# What a key shared only through a deleted letter counts, against a shared word's 1.
TYPO_KEY_SHARE = 0.6
# A one-letter token paired with a word it begins: close, but not proof of the same name.
INITIAL_SIMILARITY = 0.9
# Two tokens less alike than this are not paired at all: one typo in a word of four letters or
# more stays above it, two different short names (Lei and Wei, Tang and Kang) fall below.
PAIR_FLOOR = 0.75
# A listed name's words the query does not give (a patronymic or second surname left out) cost
# this fraction of their length, and at most MISSING_WORD_MAX_COST letters' worth each, where an
# unexplained word of the query costs its full length: lists give more names than customers do.
MISSING_WORD_COST = 0.25
MISSING_WORD_MAX_COST = 1.5
# Qualifiers added to the name's similarity; their sizes follow the common practice of
# rule-based screening, where one contradicting fact outweighs one agreeing fact.
DOB_MATCH_SUPPORT = 0.10  # the same day
DOB_YEAR_SUPPORT = 0.05  # within the listed year, month or span
DOB_MISMATCH_PENALTY = 0.30  # times 1 for years apart, 0.5 for a near miss
NATIONALITY_SUPPORT = 0.05
NATIONALITY_MISMATCH_PENALTY = 0.10
# "circa 1960" admits this many years either side.
CIRCA_YEARS = 2

Status = Literal["clear", "potential_match"]


@dataclass(frozen=True)
class Match:
    """One listed entry a name may be, with the score and the features that drove it.

    ``features`` always holds ``name_similarity`` (0..1) and ``alias`` (1.0 when the name that
    matched is one of the entry's aliases); where both sides state them, ``dob_match``,
    ``dob_year_match`` or ``dob_mismatch`` (1.0 years apart, 0.5 a near miss), and
    ``nationality_match`` or ``nationality_mismatch``.
    """

    entry_id: str
    list_name: str
    matched_name: str
    score: float
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of screening one name: its matches, best first, and how many of the list's
    names were scored to find them (the blocking's work, for tests and benchmarks)."""

    status: Status
    matches: tuple[Match, ...]
    candidates_scored: int = 0


class Screener:
    """An index of the individuals of one or more sanctions lists, to screen people against.

    Parameters
    ----------
    entries : iterable of ListEntry
        The list's entries; only ``individual`` ones are indexed, since a person is never an
        entity, vessel or aircraft.
    list_name : str
        The list the entries come from, cited by every match.
    """

    def __init__(self, entries: Iterable[ListEntry], list_name: str = "ofac-sdn") -> None:
        self._index_lists([(list_name, entries)])

    @classmethod
    def from_lists(cls, lists: Iterable[ParsedList]) -> Screener:
        """One screener over several parsed lists, each match citing its own list."""
        screener = cls.__new__(cls)
        screener._index_lists([(parsed.list_name, parsed.entries) for parsed in lists])
        return screener

    def _index_lists(self, lists: Iterable[tuple[str, Iterable[ListEntry]]]) -> None:
        self._entries: list[ListEntry] = []
        self._list_names: list[str] = []
        self._name_entry: list[int] = []
        self._name_text: list[str] = []
        self._name_is_alias: list[bool] = []
        self._name_words: list[tuple[NameWord, ...]] = []
        for list_name, entries in lists:
            self._add(entries, list_name)
        self._build_index()

    @property
    def entry_count(self) -> int:
        """Individuals indexed."""
        return len(self._entries)

    @property
    def name_count(self) -> int:
        """Names indexed: every individual's name and aliases."""
        return len(self._name_text)

    def _add(self, entries: Iterable[ListEntry], list_name: str) -> None:
        for entry in entries:
            if entry.kind != "individual":
                continue
            index = len(self._entries)
            self._entries.append(entry)
            self._list_names.append(list_name)
            seen: set[tuple[str, ...]] = set()
            for position, text in enumerate((entry.name, *entry.aliases)):
                words = name_words(text)
                canonical = tuple(w.canonical for w in words)
                if not words or canonical in seen:
                    continue
                seen.add(canonical)
                self._name_entry.append(index)
                self._name_text.append(text)
                self._name_is_alias.append(position > 0)
                self._name_words.append(words)

    def _build_index(self) -> None:
        postings: dict[str, set[int]] = {}
        for name_id, words in enumerate(self._name_words):
            for word in words:
                for key in (*_word_keys(word), *_typo_keys(word)):
                    postings.setdefault(key, set()).add(name_id)
        count = max(len(self._name_words), 1)
        self._postings = {key: np.fromiter(ids, dtype=np.int32, count=len(ids))
                          for key, ids in postings.items()}
        # Rare keys say more than common ones ("zawahiri" more than "muhammad").
        self._key_weight = {key: math.log(1 + count / len(ids)) for key, ids in postings.items()}
        norms = [math.sqrt(sum(self._key_weight.get(w.canonical, 0.0) ** 2 for w in words))
                 or 1.0 for words in self._name_words]
        self._name_norm = np.asarray(norms, dtype=np.float64)

    def candidates(self, words: Sequence[NameWord], limit: int = CANDIDATES) -> list[int]:
        """Ids of the listed names most worth scoring against ``words``, best first."""
        total = np.zeros(len(self._name_words), dtype=np.float64)
        for word in words:
            if is_initial(word.canonical):
                continue  # an initial would block on a whole letter of the alphabet
            best = np.zeros_like(total)
            for keys, share in ((_word_keys(word), 1.0), (_typo_keys(word), TYPO_KEY_SHARE)):
                for key in keys:
                    ids = self._postings.get(key)
                    if ids is not None:
                        best[ids] = np.maximum(best[ids], share * self._key_weight[key])
            total += best
        hit = np.flatnonzero(total)
        if len(hit) == 0:
            return []
        # Cosine-like: a listed name full of words the query lacks ranks below a short one.
        rank = total[hit] / self._name_norm[hit]
        if len(hit) > limit:
            keep = np.argpartition(-rank, limit - 1)[:limit]
            hit, rank = hit[keep], rank[keep]
        return [int(i) for i in hit[np.argsort(-rank, kind="stable")]]

    def screen(
        self,
        name: str,
        birth_date: date | None = None,
        country: str | None = None,
        *,
        threshold: float = POTENTIAL_MATCH_THRESHOLD,
        limit: int = 10,
    ) -> ScreeningResult:
        """Screen a person against the indexed individuals.

        Parameters
        ----------
        name : str
            The person's full name, in any order, with or without accents and titles.
        birth_date : date, optional
            Their date of birth; where the list states one, it supports or contradicts.
        country : str, optional
            Their nationality as an ISO 3166-1 alpha-2 code (any case).
        threshold : float
            Matches scoring below it are not returned; ``POTENTIAL_MATCH_THRESHOLD`` unless a
            caller studies the scores themselves (as the benchmark does).
        limit : int
            The most matches returned.

        Returns
        -------
        ScreeningResult
            ``potential_match`` with the matches at or above ``threshold``, best first, or
            ``clear`` with none.
        """
        words = name_words(name)
        candidate_ids = self.candidates(words) if words else []
        best_by_entry: dict[int, tuple[float, int]] = {}
        similarity_of = _WordSimilarity(words, [self._name_words[i] for i in candidate_ids])
        for name_id in candidate_ids:
            similarity = _name_similarity(words, self._name_words[name_id], similarity_of)
            entry_index = self._name_entry[name_id]
            if similarity > best_by_entry.get(entry_index, (-1.0, -1))[0]:
                best_by_entry[entry_index] = (similarity, name_id)
        country_code = country.strip().upper() if country else None
        matches = []
        for entry_index, (similarity, name_id) in best_by_entry.items():
            entry = self._entries[entry_index]
            features = {"name_similarity": round(similarity, 4),
                        "alias": 1.0 if self._name_is_alias[name_id] else 0.0}
            features.update(_dob_features(birth_date, entry))
            features.update(_nationality_features(country_code, entry))
            score = _combine(features)
            if score >= threshold:
                matches.append(Match(entry_id=entry.entry_id,
                                     list_name=self._list_names[entry_index],
                                     matched_name=self._name_text[name_id], score=score,
                                     features=features))
        matches.sort(key=lambda m: (-m.score, m.entry_id))
        status: Status = "potential_match" if matches else "clear"
        return ScreeningResult(status=status, matches=tuple(matches[:limit]),
                               candidates_scored=len(candidate_ids))


def _word_keys(word: NameWord) -> tuple[str, ...]:
    """A token's own index keys: its canonical form and, if different, the word as written."""
    if word.written == word.canonical:
        return (word.canonical,)
    return (word.canonical, word.written)


def _typo_keys(word: NameWord) -> tuple[str, ...]:
    """A token's forms with one letter deleted, for forms of four letters or more.

    Two words one typo apart share such a key, or one's form is the other's key: a
    substitution or two swapped letters leave a common deletion, a dropped or added letter
    leaves one word inside the other's deletions.
    """
    keys: set[str] = set()
    for form in _word_keys(word):
        if len(form) >= 4:
            keys.update(form[:i] + form[i + 1:] for i in range(len(form)))
    return tuple(keys)


class _WordSimilarity:
    """Similarities of the query's words with every word of the candidate names, computed in
    two rapidfuzz calls: canonical forms against canonical forms, written against written."""

    def __init__(self, query: Sequence[NameWord], names: Sequence[Sequence[NameWord]]) -> None:
        full = [w for w in query if not is_initial(w.canonical)]
        self._row = {w: i for i, w in enumerate(full)}
        words = {w for name in names for w in name if not is_initial(w.canonical)}
        canonical = sorted({w.canonical for w in words})
        written = sorted({w.written for w in words})
        self._canonical_column = {c: j for j, c in enumerate(canonical)}
        self._written_column = {c: j for j, c in enumerate(written)}
        self._canonical: list[list[float]] = []
        self._written: list[list[float]] = []
        if full and words:
            cutoff = PAIR_FLOOR * 100
            self._canonical = process.cdist([w.canonical for w in full], canonical,
                                            scorer=fuzz.ratio, score_cutoff=cutoff).tolist()
            self._written = process.cdist([w.written for w in full], written,
                                          scorer=fuzz.ratio, score_cutoff=cutoff).tolist()

    def __call__(self, q: NameWord, c: NameWord) -> float:
        if is_initial(q.canonical) or is_initial(c.canonical):
            # Compared as written too: K. is Khalfan although the canonical form is halfan.
            same = q.canonical[0] == c.canonical[0] or q.written[0] == c.written[0]
            return INITIAL_SIMILARITY if same else 0.0
        if q.canonical == c.canonical:
            return 1.0
        row = self._row[q]
        return max(self._canonical[row][self._canonical_column[c.canonical]],
                   self._written[row][self._written_column[c.written]]) / 100.0


def _name_similarity(
    query: Sequence[NameWord], listed: Sequence[NameWord], similarity_of: _WordSimilarity
) -> float:
    """How alike two names' tokens are, 0..1, whatever their order.

    Tokens are paired greedily, most alike first, each used once. The score is the paired
    tokens' similarity weighted by their length, over that weight plus the length of the
    tokens left unpaired: every unexplained word of the query counts in full, a listed word
    the query leaves out ``MISSING_WORD_COST`` of it, capped at ``MISSING_WORD_MAX_COST``.
    """
    pairs = sorted(
        ((s, i, j) for i, q in enumerate(query) for j, c in enumerate(listed)
         if (s := similarity_of(q, c)) >= PAIR_FLOOR),
        reverse=True,
    )
    used_query: set[int] = set()
    used_listed: set[int] = set()
    matched = weight = 0.0
    for s, i, j in pairs:
        if i in used_query or j in used_listed:
            continue
        used_query.add(i)
        used_listed.add(j)
        pair_weight = (len(query[i].canonical) + len(listed[j].canonical)) / 2
        matched += s * pair_weight
        weight += pair_weight
    if not used_query:
        return 0.0
    weight += sum(len(q.canonical) for i, q in enumerate(query) if i not in used_query)
    weight += sum(min(MISSING_WORD_COST * len(c.canonical), MISSING_WORD_MAX_COST)
                  for j, c in enumerate(listed) if j not in used_listed)
    return matched / weight


def _dob_features(birth_date: date | None, entry: ListEntry) -> dict[str, float]:
    """How a date of birth agrees with the entry's: ``dob_match`` (the same day),
    ``dob_year_match`` (inside a listed year, month or span, or within ``CIRCA_YEARS`` of a
    "circa" year), or ``dob_mismatch`` (1.0 when every listed date is years away, 0.5 for the
    same year on another day or a year off)."""
    if birth_date is None or not entry.birth_dates:
        return {}
    if any(d.is_exact_day and d.start == birth_date for d in entry.birth_dates):
        return {"dob_match": 1.0}
    slack = [CIRCA_YEARS if d.circa else 0 for d in entry.birth_dates]
    if any(not d.is_exact_day
           and (d.contains(birth_date) or d.years_apart(birth_date.year) < extra)
           for d, extra in zip(entry.birth_dates, slack, strict=True)):
        return {"dob_year_match": 1.0}
    if any(d.years_apart(birth_date.year) <= 1 + extra
           for d, extra in zip(entry.birth_dates, slack, strict=True)):
        return {"dob_mismatch": 0.5}
    return {"dob_mismatch": 1.0}


def _nationality_features(country: str | None, entry: ListEntry) -> dict[str, float]:
    if not country or not entry.nationalities:
        return {}
    if country in entry.nationalities:
        return {"nationality_match": 1.0}
    return {"nationality_mismatch": 1.0}


def _combine(features: dict[str, float]) -> float:
    """The name's similarity, qualified by dates of birth and nationality, within 0..1."""
    score = features["name_similarity"]
    score += DOB_MATCH_SUPPORT * features.get("dob_match", 0.0)
    score += DOB_YEAR_SUPPORT * features.get("dob_year_match", 0.0)
    score -= DOB_MISMATCH_PENALTY * features.get("dob_mismatch", 0.0)
    score += NATIONALITY_SUPPORT * features.get("nationality_match", 0.0)
    score -= NATIONALITY_MISMATCH_PENALTY * features.get("nationality_mismatch", 0.0)
    return round(min(1.0, max(0.0, score)), 4)

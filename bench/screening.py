"""Sanctions screening: recall and false positives on a labelled set built from the bundled OFAC
list, the latency of one name, the index's build time, and rescreening a book of customers.

The labelled set is deterministic (``--seed``). Listed individuals are written as a customer
would write them, one variation each: given names first (``swapped``), a middle name left out
(``missing_middle``, names of three words or more), one typo (a letter substituted, dropped,
added or two swapped, in a word of four letters or more), one transliteration variant
(Mohammed/Muhammad, Yousef/Yusuf, ai/ay, a doubled letter, -ov/-off, o/u, e/i ...), accents
added (``diacritics``), or one of the entry's aliases of two words or more (``alias``). Every
variation also has the given names first. Unlisted names are ordinary people's names drawn from
the pools of ``bench/screening_names.py``; any whose normalised form is a listed name is dropped.
A listed name counts as found when its own entry is among the matches at the threshold; an
unlisted name is a false positive when anything is.

Run: .venv/bin/python bench/screening.py [--per-kind 500] [--negatives 5500] [--customers 100000]
     [--workers 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from screening_names import NAME_POOLS  # noqa: E402

from risk_models.screening.lists import ListEntry, bundled_ofac_path, parse_ofac_sdn  # noqa: E402
from risk_models.screening.matcher import POTENTIAL_MATCH_THRESHOLD, Screener  # noqa: E402
from risk_models.screening.normalise import VARIANTS, normalise_name  # noqa: E402

KINDS = ("swapped", "missing_middle", "typo", "transliteration", "diacritics", "alias")
THRESHOLDS = [round(0.70 + 0.01 * i, 2) for i in range(26)]
LATENCY_NAMES = 4000

# Real-world alternations of Latin spellings of the same name, one applied per name.
_ALTERNATIONS = (
    ("ou", "u"), ("u", "ou"), ("ee", "i"), ("i", "ee"), ("ai", "ay"), ("ay", "ai"),
    ("ei", "ai"), ("ph", "f"), ("q", "k"), ("k", "kh"), ("ov", "off"), ("ev", "eff"),
    ("iy", "i"), ("ss", "s"), ("mm", "m"), ("dd", "d"), ("s", "ss"), ("m", "mm"),
    ("o", "u"), ("u", "o"), ("e", "i"), ("i", "e"), ("a", "e"), ("y", "i"), ("i", "y"),
)
_ACCENTS = {"a": "áàäâ", "e": "éèëê", "i": "íï", "o": "óöô", "u": "úü", "n": "ñ", "c": "ç",
            "s": "ş", "g": "ğ", "z": "ž"}


def natural_order(listed: str) -> list[str]:
    """``SURNAME, Given Names`` as a customer writes it: ``Given Names Surname``, capitalised."""
    surname, comma, given = listed.partition(",")
    words = (given.split() + surname.split()) if comma else listed.split()
    return [w.capitalize() if w.isupper() else w for w in words]


def with_typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(len(word))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    edit = rng.choice(("substitute", "delete", "insert", "transpose"))
    if edit == "substitute":
        replacement = rng.choice([c for c in "aeioubcdfghklmnrst" if c != word[position].lower()])
        return word[:position] + replacement + word[position + 1:]
    if edit == "delete":
        return word[:position] + word[position + 1:]
    if edit == "insert":
        return word[:position] + letter + word[position:]
    position = min(position, len(word) - 2)
    return word[:position] + word[position + 1] + word[position] + word[position + 2:]


def transliterated(words: list[str], rng: random.Random) -> list[str] | None:
    families = {spelling: (canonical, *others) for canonical, others in VARIANTS.items()
                for spelling in (canonical, *others)}
    options = []
    for index, word in enumerate(words):
        lower = word.lower()
        if lower in families:
            for other in families[lower]:
                if other != lower:
                    options.append((index, other.capitalize()))
        for old, new in _ALTERNATIONS:
            at = lower.find(old, 1)  # never the first letter: that changes the name's look
            if at > 0:
                spelled = lower[:at] + new + lower[at + len(old):]
                options.append((index, spelled.capitalize()))
    if not options:
        return None
    index, replacement = rng.choice(options)
    return words[:index] + [replacement] + words[index + 1:]


def with_diacritics(words: list[str], rng: random.Random) -> list[str] | None:
    places = [(i, j) for i, w in enumerate(words) for j, c in enumerate(w) if c in _ACCENTS]
    if not places:
        return None
    changed = [list(w) for w in words]
    for i, j in rng.sample(places, min(2, len(places))):
        changed[i][j] = rng.choice(_ACCENTS[changed[i][j]])
    return ["".join(w) for w in changed]


def variation(entry: ListEntry, kind: str, rng: random.Random) -> str | None:
    """A customer's writing of a listed individual's name, or None when ``kind`` does not apply
    to this entry."""
    words = natural_order(entry.name)
    if kind == "alias":
        aliases = [a for a in entry.aliases if len(natural_order(a)) >= 2]
        return " ".join(natural_order(rng.choice(aliases))) if aliases else None
    if len(words) < 2:
        return None
    if kind == "swapped":
        return " ".join(words)
    if kind == "missing_middle":
        if len(words) < 3:
            return None
        drop = rng.randrange(1, len(words) - 1)
        return " ".join(words[:drop] + words[drop + 1:])
    if kind == "typo":
        long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not long_words:
            return None
        index = rng.choice(long_words)
        return " ".join(words[:index] + [with_typo(words[index], rng)] + words[index + 1:])
    changed = transliterated(words, rng) if kind == "transliteration" else (
        with_diacritics(words, rng))
    return " ".join(changed) if changed else None


def listed_birth_date(entry: ListEntry, rng: random.Random) -> date | None:
    """A date of birth the listed person could give: a listed exact day, or a day inside a
    listed year or span."""
    if not entry.birth_dates:
        return None
    stated = rng.choice(entry.birth_dates)
    span = (stated.end - stated.start).days
    return stated.start + timedelta(days=rng.randrange(span + 1))


def random_birth_date(rng: random.Random) -> date:
    return date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))


def positives(individuals: list[ListEntry], per_kind: int, rng: random.Random):
    """(kind, name, entry_id, date of birth) for up to ``per_kind`` entries per kind."""
    rows = []
    for kind in KINDS:
        order = list(individuals)
        rng.shuffle(order)
        made = 0
        for entry in order:
            name = variation(entry, kind, rng)
            if name is None:
                continue
            rows.append((kind, name, entry.entry_id, listed_birth_date(entry, rng)))
            made += 1
            if made == per_kind:
                break
    return rows


def ordinary_names(count: int, listed: set[str], rng: random.Random):
    """(pool, name, date of birth) of ``count`` ordinary people, none of them on the list."""
    rows, dropped = [], 0
    pools = sorted(NAME_POOLS)
    while len(rows) < count:
        pool = pools[len(rows) % len(pools)]
        given, surnames = NAME_POOLS[pool]
        words = [rng.choice(given)]
        if rng.random() < 0.3:
            words.append(rng.choice([g for g in given if g != words[0]]))
        words.append(rng.choice(surnames))
        if rng.random() < 0.2 and pool == "hispanic":
            words.append(rng.choice(surnames))  # two surnames, as Spanish names often have
        name = " ".join(words)
        if normalise_name(name) in listed:
            dropped += 1
            continue
        rows.append((pool, name, random_birth_date(rng)))
    return rows, dropped


def target_score(screener: Screener, name: str, entry_id: str, birth_date: date | None) -> float:
    result = screener.screen(name, birth_date, threshold=0.0, limit=1_000)
    return max((m.score for m in result.matches if m.entry_id == entry_id), default=0.0)


def best_score(screener: Screener, name: str, birth_date: date | None) -> float:
    result = screener.screen(name, birth_date, threshold=0.0, limit=1)
    return result.matches[0].score if result.matches else 0.0


_WORKER_SCREENER: Screener | None = None


def _screen_chunk(chunk: list[tuple[str, date]]) -> int:
    assert _WORKER_SCREENER is not None
    return sum(_WORKER_SCREENER.screen(name, born).status == "potential_match"
               for name, born in chunk)


def rescreen(screener: Screener, customers: list[tuple[str, date]], workers: int) -> int:
    """Screen every customer; the screener reaches forked workers by inheritance."""
    global _WORKER_SCREENER
    _WORKER_SCREENER = screener
    chunks = [customers[i:i + 1000] for i in range(0, len(customers), 1000)]
    if workers == 1:
        return sum(map(_screen_chunk, chunks))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return sum(pool.imap_unordered(_screen_chunk, chunks))


def rate_table(label: str, scores_pos, scores_neg, thresholds) -> None:
    print(f"\n{label}: threshold -> recall (of {len(scores_pos):,}) / false positives "
          f"(of {len(scores_neg):,})")
    for t in thresholds:
        recall = sum(s >= t for _, s in scores_pos) / len(scores_pos)
        fpr = sum(s >= t for _, s in scores_neg) / len(scores_neg)
        mark = "  <- POTENTIAL_MATCH_THRESHOLD" if t == POTENTIAL_MATCH_THRESHOLD else ""
        print(f"  {t:.2f}  recall {recall:.4f}  false positives {fpr:.4f}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=500)
    parser.add_argument("--negatives", type=int, default=5500)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    raw = bundled_ofac_path().read_bytes()
    started = time.perf_counter()
    parsed = parse_ofac_sdn(raw)
    parse_seconds = time.perf_counter() - started
    builds = []
    for _ in range(3):
        started = time.perf_counter()
        screener = Screener(parsed.entries, parsed.list_name)
        builds.append(time.perf_counter() - started)
    individuals = [e for e in parsed.entries if e.kind == "individual"]
    listed = {normalise_name(n) for e in individuals for n in (e.name, *e.aliases)}

    labelled = positives(individuals, args.per_kind, rng)
    negatives, dropped = ordinary_names(args.negatives, listed, rng)

    print(f".venv/bin/python bench/screening.py --per-kind {args.per_kind} --negatives "
          f"{args.negatives} --customers {args.customers} --workers {args.workers} "
          f"--seed {args.seed}")
    print(f"list: {len(parsed.entries):,} entries, {screener.entry_count:,} individuals, "
          f"{screener.name_count:,} names and aliases indexed")
    print(f"parse {parse_seconds * 1000:.0f} ms; index build {min(builds) * 1000:.0f} ms "
          f"(best of 3)")
    print(f"labelled set: {len(labelled):,} listed-name variations "
          f"({', '.join(f'{k} {c}' for k, c in Counter(r[0] for r in labelled).items())}); "
          f"{len(negatives):,} unlisted names from {len(NAME_POOLS)} pools "
          f"({dropped} drawn names dropped as listed)")

    for label, use_dob in (("name only", False), ("name and date of birth", True)):
        pos = [(kind, target_score(screener, name, entry_id, born if use_dob else None))
               for kind, name, entry_id, born in labelled]
        neg = [(pool, best_score(screener, name, born if use_dob else None))
               for pool, name, born in negatives]
        rate_table(label, pos, neg, THRESHOLDS)
        t = POTENTIAL_MATCH_THRESHOLD
        by_kind: dict[str, list[float]] = defaultdict(list)
        for kind, score in pos:
            by_kind[kind].append(score)
        print(f"  recall at {t:.2f} by variation: " + ", ".join(
            f"{k} {sum(s >= t for s in v) / len(v):.3f}" for k, v in by_kind.items()))
        by_pool: dict[str, list[float]] = defaultdict(list)
        for pool, score in neg:
            by_pool[pool].append(score)
        print(f"  false positives at {t:.2f} by pool: " + ", ".join(
            f"{p} {sum(s >= t for s in v) / len(v):.3f}" for p, v in sorted(by_pool.items())))
        if not use_dob:
            missed = [(k, n) for (k, n, e, b), (_, s) in zip(labelled, pos, strict=True) if s < t]
            print("  missed, e.g.: " + "; ".join(f"{k}: {n}" for k, n in missed[:12]))
            flagged = [n for (p, n, b), (_, s) in zip(negatives, neg, strict=True) if s >= t]
            print("  flagged unlisted, e.g.: " + "; ".join(flagged[:12]))

    queries = [(n, None) for _, n, _, _ in labelled] + [(n, b) for _, n, b in negatives]
    rng.shuffle(queries)
    queries = queries[:LATENCY_NAMES]
    for name, born in queries[:200]:
        screener.screen(name, born)  # warm the normalisation caches as a running service would
    timings, scored = [], []
    for name, born in queries:
        started = time.perf_counter()
        result = screener.screen(name, born)
        timings.append(time.perf_counter() - started)
        scored.append(result.candidates_scored)
    timings.sort()
    p99 = timings[int(0.99 * (len(timings) - 1))]
    print(f"\none name against the list ({len(timings):,} names): p50 "
          f"{statistics.median(timings) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max "
          f"{timings[-1] * 1000:.2f} ms; names scored per screening: mean "
          f"{statistics.mean(scored):.1f}, max {max(scored)}")

    customers = []
    for _, name, born in ordinary_names(args.customers, set(), random.Random(args.seed + 1))[0]:
        customers.append((name, born))
    started = time.perf_counter()
    flagged = rescreen(screener, customers, args.workers)
    seconds = time.perf_counter() - started
    print(f"rescreening {len(customers):,} customers (name and date of birth), "
          f"{args.workers} worker(s): {seconds:.1f} s ({len(customers) / seconds:,.0f} a "
          f"second), {flagged:,} potential matches ({flagged / len(customers):.2%})")


if __name__ == "__main__":
    main()

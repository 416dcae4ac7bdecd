"""Rule sets: the signal catalogue, validation, evaluation, diffs and shadow runs.

A rule set turns an account's signals into proposed actions, under the sentiment guardrail. A
leaf condition over a signal that is missing or None is false, never an error; ``not`` of such a
leaf is therefore true.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, TypeGuard

from risk_models.artifact import canonical_json
from risk_models.early_warning.guardrails import (
    OUTREACH_CHANNELS,
    ContactCap,
    contact_cap_problems,
)
from risk_models.early_warning.levels import LEVELS, LevelPolicy
from risk_models.early_warning.signals import DPD_BUCKETS

SignalType = Literal["int", "float", "bool", "str"]


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """A signal rules may be written over: its type, meaning and, for text, its values."""

    type: SignalType
    description: str
    choices: tuple[str, ...] | None = None
    # The values a number can take: a rule comparing with one beyond them is a mistake (it
    # would never, or always, fire).
    span: tuple[float, float] | None = None


SIGNALS: Mapping[str, SignalSpec] = MappingProxyType({
    "days_past_due": SignalSpec("int", "Days past due at the latest cycle's close.",
                                span=(0, 3650)),
    "dpd_bucket": SignalSpec("str", "Bucket of days past due.", DPD_BUCKETS),
    "payment_ratio": SignalSpec("float", "Paid over due in the latest cycle."),
    "payment_ratio_drop": SignalSpec(
        "bool", "The payment ratio fell (Page-Hinkley change detection)."
    ),
    "payment_ratio_drop_threshold": SignalSpec(
        "bool", "The payment ratio fell below its simple threshold."
    ),
    "balance_drop": SignalSpec("bool", "The balance dropped sharply."),
    "utilisation": SignalSpec("float", "Balance over credit limit (revolving accounts only)."),
    "engagement_ratio": SignalSpec("float", "Recent engagement over the account's own baseline."),
    "engagement_decline": SignalSpec("bool", "Engagement declined against its baseline."),
    "sentiment": SignalSpec(
        "float", "Lowest sentiment score of interactions in the last 30 days (0.0 when none).",
        span=(-1.0, 1.0)),
    "distress_terms": SignalSpec(
        "int", "Credit-distress terms in interactions of the last 30 days.", span=(0, 10_000)),
    "bureau_delinquency": SignalSpec(
        "bool", "A new delinquency at another lender in the last 90 days."
    ),
    "behavioural_pd": SignalSpec("float", "Probability of default from the behavioural scorecard.",
                                 span=(0.0, 1.0)),
    "level": SignalSpec("str", "Risk level now.", LEVELS),
    "previous_level": SignalSpec("str", "Risk level before this assessment.", LEVELS),
    "months_on_book": SignalSpec("int", "Months since the account was opened.", span=(0, 1200)),
    "on_watch_list": SignalSpec("bool", "The account is on the watch list."),
})

# What "sentiment alone" means: these signals read interaction text; neutralised, they say
# nothing.
SENTIMENT_NEUTRAL: Mapping[str, Any] = MappingProxyType({"sentiment": 0.0, "distress_terms": 0})

_OPS: Mapping[str, Callable[[Any, Any], bool]] = MappingProxyType({
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda actual, allowed: actual in allowed,
})
_OPS_BY_TYPE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "int": tuple(_OPS),
    "float": tuple(_OPS),
    "bool": ("==", "!=", "in"),
    "str": ("==", "!=", "in"),
})

# Each action kind and its parameters: name → allowed texts, or a range of whole numbers.
ACTION_PARAMS: Mapping[str, Mapping[str, tuple[str, ...] | range]] = MappingProxyType({
    "raise_alert": {"severity": ("info", "warning", "critical")},
    "open_case": {"priority": ("normal", "high")},
    "schedule_outreach": {"channel": OUTREACH_CHANNELS},
    "add_to_watch_list": {},
    "propose_limit_reduction": {"reduce_by_pct": range(1, 91)},
    "propose_restructuring": {},
})
HIGH_IMPACT = frozenset({"propose_limit_reduction", "propose_restructuring"})
CONTACT_KINDS = frozenset({"schedule_outreach"})
BLOCKED_SENTIMENT_ALONE = "sentiment_alone"

MAX_DEPTH = 8
MAX_RULES = 200
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DEFAULT_RULES_FILE = "default_rules.json"


class RuleSetInvalid(ValueError):
    """A rule-set document that cannot be used, with every problem found in it.

    Attributes
    ----------
    problems : list of dict
        Each ``{"path": "rules[2].when.all[0].signal", "message": "..."}``.
    """

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = problems
        first = problems[0] if problems else {"path": "", "message": ""}
        super().__init__(
            f"{len(problems)} problem(s) in the rule set; first at "
            f"{first['path'] or '(document)'}: {first['message']}"
        )


@dataclass(frozen=True, slots=True)
class Leaf:
    """``signal op value``; ``value`` is a tuple for ``in``."""

    signal: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    """True when every condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when at least one condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """True when the condition does not hold."""

    condition: Condition


Condition = Leaf | AllOf | AnyOf | Not


@dataclass(frozen=True, slots=True)
class Action:
    """An action a rule proposes: its kind and parameters (sorted name, value pairs)."""

    kind: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def high_impact(self) -> bool:
        """Whether the action changes the account's terms and so needs more than sentiment."""
        return self.kind in HIGH_IMPACT


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: when its condition holds, its actions are proposed."""

    id: str
    description: str
    when: Condition
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated rule set; build one with :func:`parse_rule_set`."""

    description: str
    levels: LevelPolicy
    contact_cap: ContactCap
    rules: tuple[Rule, ...]

    def to_document(self) -> dict[str, Any]:
        """Return the canonical document: parsing it gives an equal rule set."""
        return {
            "description": self.description,
            "levels": {"medium_pd": self.levels.medium_pd, "high_pd": self.levels.high_pd},
            "contact_cap": {
                "max_contacts": self.contact_cap.max_contacts,
                "window_days": self.contact_cap.window_days,
                "channels": list(self.contact_cap.channels),
            },
            "rules": [_rule_document(rule) for rule in self.rules],
        }

    @property
    def sha256(self) -> str:
        """SHA-256 of the canonical document's canonical JSON."""
        return hashlib.sha256(canonical_json(self.to_document())).hexdigest()


def _condition_document(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, Leaf):
        value = list(condition.value) if condition.op == "in" else condition.value
        return {"signal": condition.signal, "op": condition.op, "value": value}
    if isinstance(condition, Not):
        return {"not": _condition_document(condition.condition)}
    key = "all" if isinstance(condition, AllOf) else "any"
    return {key: [_condition_document(c) for c in condition.conditions]}


def _rule_document(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "description": rule.description,
        "when": _condition_document(rule.when),
        "actions": [{"kind": a.kind, **dict(a.params)} for a in rule.actions],
    }


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append({"path": path, "message": message})

    def keys(self, path: str, data: Mapping, allowed: Iterable[str], what: str) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                self.add(
                    _join(path, str(key)),
                    f"{key!r} is not a field of {what}; the fields are {', '.join(allowed)}.",
                )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_number(value: object) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _text(data: Mapping, key: str, path: str, problems: _Problems) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(_join(path, key), f"{key} must be a non-empty text saying what it is for.")
        return None
    return value


def _signal_value(spec: SignalSpec, value: Any, path: str, problems: _Problems) -> Any:
    if spec.type == "bool" and not isinstance(value, bool):
        problems.add(path, f"The value must be true or false, not {value!r}.")
    elif spec.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        problems.add(path, f"The value must be a whole number, not {value!r}.")
    elif spec.type == "float" and not _is_number(value):
        problems.add(path, f"The value must be a finite number, not {value!r}.")
    elif spec.type == "str" and not isinstance(value, str):
        problems.add(path, f"The value must be text, not {value!r}.")
    elif spec.span is not None and not spec.span[0] <= value <= spec.span[1]:
        problems.add(path, f"{value!r} is beyond what this signal can be ({spec.span[0]:g} to "
                           f"{spec.span[1]:g}): the rule would never, or always, fire.")
    elif spec.choices is not None and value not in spec.choices:
        problems.add(path, f"{value!r} is not a value of this signal; use one of "
                           f"{', '.join(spec.choices)}.")
    else:
        # Floats are stored as floats, so 1 and 1.0 give one canonical document.
        return float(value) if spec.type == "float" else value
    return None


def _leaf(data: Mapping, path: str, problems: _Problems) -> Leaf | None:
    problems.keys(path, data, ("signal", "op", "value"), "a signal condition")
    before = len(problems.items)
    name, op = data.get("signal"), data.get("op")
    spec = SIGNALS.get(name) if isinstance(name, str) else None
    if spec is None:
        close = difflib.get_close_matches(str(name), SIGNALS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; see the signal catalogue."
        problems.add(_join(path, "signal"), f"{name!r} is not a known signal{hint}")
    if op not in _OPS:
        problems.add(_join(path, "op"), f"{op!r} is not an operator; use one of {', '.join(_OPS)}.")
    elif spec is not None and op not in _OPS_BY_TYPE[spec.type]:
        problems.add(_join(path, "op"), f"{op!r} cannot compare a {spec.type} signal; use one of "
                                        f"{', '.join(_OPS_BY_TYPE[spec.type])}.")
    if "value" not in data:
        problems.add(_join(path, "value"), "A signal condition needs a value to compare with.")
        return None
    if spec is None or op not in _OPS:
        return None
    value_path = _join(path, "value")
    raw = data["value"]
    if op == "in":
        if not isinstance(raw, list) or not raw:
            problems.add(value_path, "'in' takes a non-empty list of values.")
            return None
        value: Any = tuple(
            _signal_value(spec, v, f"{value_path}[{i}]", problems) for i, v in enumerate(raw)
        )
    else:
        value = _signal_value(spec, raw, value_path, problems)
    if len(problems.items) > before or not isinstance(name, str) or not isinstance(op, str):
        return None
    return Leaf(signal=name, op=op, value=value)


_COMPOSITES = ("all", "any", "not")


def _condition(data: Any, path: str, depth: int, problems: _Problems) -> Condition | None:
    if depth > MAX_DEPTH:
        problems.add(path, f"Conditions are nested more than {MAX_DEPTH} deep; flatten them.")
        return None
    if not isinstance(data, Mapping):
        problems.add(path, "A condition must be an object: all, any, not, or signal/op/value.")
        return None
    composite = [key for key in _COMPOSITES if key in data]
    if not composite:
        if not any(key in data for key in ("signal", "op", "value")):
            problems.add(path, "A condition needs 'all', 'any', 'not', or 'signal', 'op' and "
                               "'value'.")
            return None
        return _leaf(data, path, problems)
    if len(data) != 1:
        problems.add(path, f"A condition with {composite[0]!r} must have no other field; "
                           "nest the others inside it.")
        return None
    key = composite[0]
    child_path = _join(path, key)
    if key == "not":
        inner = _condition(data["not"], child_path, depth + 1, problems)
        return Not(inner) if inner is not None else None
    items = data[key]
    if not isinstance(items, list) or not items:
        problems.add(child_path, f"{key!r} takes a non-empty list of conditions.")
        return None
    parsed = [_condition(c, f"{child_path}[{i}]", depth + 1, problems) for i, c in enumerate(items)]
    if any(c is None for c in parsed):
        return None
    conditions = tuple(c for c in parsed if c is not None)
    return AllOf(conditions) if key == "all" else AnyOf(conditions)


def _action(data: Any, path: str, problems: _Problems) -> Action | None:
    if not isinstance(data, Mapping):
        problems.add(path, "An action must be an object with a 'kind'.")
        return None
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in ACTION_PARAMS:
        problems.add(_join(path, "kind"), f"{kind!r} is not an action; use one of "
                                          f"{', '.join(ACTION_PARAMS)}.")
        return None
    specs = ACTION_PARAMS[kind]
    problems.keys(path, data, ("kind", *specs), f"a {kind} action")
    before = len(problems.items)
    params = []
    for name, allowed in sorted(specs.items()):
        value, where = data.get(name), _join(path, name)
        if name not in data:
            problems.add(where, f"A {kind} action needs {name!r}.")
        elif isinstance(allowed, range):
            if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
                problems.add(where, f"{name} must be a whole number from {allowed.start} to "
                                    f"{allowed.stop - 1}.")
        elif value not in allowed:
            problems.add(where, f"{value!r} is not a {name}; use one of {', '.join(allowed)}.")
        params.append((name, value))
    if len(problems.items) > before:
        return None
    return Action(kind=kind, params=tuple(params))


def _rule(data: Any, path: str, problems: _Problems) -> Rule | None:
    if not isinstance(data, Mapping):
        problems.add(path, "A rule must be an object with id, description, when and actions.")
        return None
    problems.keys(path, data, ("id", "description", "when", "actions"), "a rule")
    before = len(problems.items)
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
        problems.add(_join(path, "id"), "A rule id is 1 to 64 lower-case letters, digits and "
                                        "hyphens, starting with a letter or digit.")
    description = _text(data, "description", path, problems)
    when = None
    if "when" not in data:
        problems.add(_join(path, "when"), "A rule needs a 'when' condition.")
    else:
        when = _condition(data["when"], _join(path, "when"), 1, problems)
    raw_actions = data.get("actions")
    actions: list[Action | None] = []
    if not isinstance(raw_actions, list) or not raw_actions:
        problems.add(_join(path, "actions"), "A rule needs a list of at least one action.")
    else:
        actions = [
            _action(a, f"{_join(path, 'actions')}[{i}]", problems)
            for i, a in enumerate(raw_actions)
        ]
    if len(problems.items) > before or when is None or description is None:
        return None
    assert isinstance(rule_id, str)  # a bad id was a problem above
    return Rule(rule_id, description, when, tuple(a for a in actions if a is not None))


def _levels(data: Any, problems: _Problems) -> LevelPolicy | None:
    if not isinstance(data, Mapping):
        problems.add("levels", "levels must be an object with medium_pd and high_pd.")
        return None
    problems.keys("levels", data, ("medium_pd", "high_pd"), "levels")
    cut_offs: list[float] = []
    for name in ("medium_pd", "high_pd"):
        value = data.get(name)
        if _is_number(value) and 0 < value < 1:
            cut_offs.append(float(value))
        else:
            problems.add(f"levels.{name}", f"{name} must be a probability between 0 and 1.")
    if len(cut_offs) < 2:
        return None
    medium, high = cut_offs
    if not medium < high:
        problems.add("levels.high_pd", "high_pd must be greater than medium_pd.")
        return None
    return LevelPolicy(medium, high)


def _contact_cap(data: Any, problems: _Problems) -> ContactCap | None:
    fields = ("max_contacts", "window_days", "channels")
    if not isinstance(data, Mapping):
        problems.add("contact_cap", "contact_cap must be an object with " + ", ".join(fields) + ".")
        return None
    problems.keys("contact_cap", data, fields, "contact_cap")
    found = contact_cap_problems(*(data.get(name) for name in fields))
    for where, message in found:
        problems.add(f"contact_cap.{where}", message)
    if found:
        return None
    return ContactCap(data["max_contacts"], data["window_days"], tuple(data["channels"]))


def parse_rule_set(document: Mapping[str, Any]) -> RuleSet:
    """Validate a rule-set document and build the rule set it describes.

    Parameters
    ----------
    document : Mapping
        ``description``, ``levels``, ``contact_cap`` and ``rules``, as JSON gives them.

    Returns
    -------
    RuleSet
        The rule set, frozen.

    Raises
    ------
    RuleSetInvalid
        With every problem found, each with its path and a message saying what to fix.
    """
    problems = _Problems()
    if not isinstance(document, Mapping):
        problems.add("", "A rule set must be an object with description, levels, contact_cap "
                         "and rules.")
        raise RuleSetInvalid(problems.items)
    problems.keys("", document, ("description", "levels", "contact_cap", "rules"), "a rule set")
    description = _text(document, "description", "", problems)
    levels = _levels(document.get("levels"), problems)
    contact_cap = _contact_cap(document.get("contact_cap"), problems)
    raw_rules = document.get("rules")
    rules: list[Rule | None] = []
    if not isinstance(raw_rules, list):
        problems.add("rules", "rules must be a list of rules.")
    else:
        if not raw_rules:
            problems.add("rules", "A rule set needs at least one rule: one with none would "
                                  "watch nothing.")
        if len(raw_rules) > MAX_RULES:
            problems.add("rules", f"A rule set holds at most {MAX_RULES} rules, not "
                                  f"{len(raw_rules)}.")
        rules = [_rule(r, f"rules[{i}]", problems) for i, r in enumerate(raw_rules)]
        first_index: dict[str, int] = {}
        for i, raw in enumerate(raw_rules):
            rule_id = raw.get("id") if isinstance(raw, Mapping) else None
            if isinstance(rule_id, str) and rule_id in first_index:
                problems.add(f"rules[{i}].id", f"Rule id {rule_id!r} is already used by "
                                               f"rules[{first_index[rule_id]}]; ids are unique.")
            elif isinstance(rule_id, str):
                first_index[rule_id] = i
    if problems.items or description is None or levels is None or contact_cap is None:
        raise RuleSetInvalid(problems.items)
    return RuleSet(
        description=description,
        levels=levels,
        contact_cap=contact_cap,
        rules=tuple(r for r in rules if r is not None),
    )


def default_rule_set_document() -> dict[str, Any]:
    """Return the rule-set document the service publishes as its first version."""
    text = resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def rule_set_sha256(document: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a rule-set document's canonical form.

    The document is parsed first, so key order, whitespace and ``1`` against ``1.0`` for a
    float signal do not change the digest.

    Raises
    ------
    RuleSetInvalid
        If the document is not a valid rule set.
    """
    return parse_rule_set(document).sha256


def holds(condition: Condition, signals: Mapping[str, Any]) -> bool:
    """Return whether ``condition`` holds for ``signals`` (a missing or None signal: false)."""
    if isinstance(condition, Leaf):
        actual = signals.get(condition.signal)
        if actual is None:
            return False
        return _OPS[condition.op](actual, condition.value)
    if isinstance(condition, AllOf):
        return all(holds(c, signals) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(holds(c, signals) for c in condition.conditions)
    return not holds(condition.condition, signals)


@dataclass(frozen=True)
class ProposedAction:
    """An action a rule proposes for one account.

    Attributes
    ----------
    rule_id : str
        The rule that proposed it.
    kind : str
        The action kind.
    params : dict
        Its parameters.
    high_impact : bool
        Whether the kind is in :data:`HIGH_IMPACT`.
    blocked : str or None
        Why a guardrail holds it back (``"sentiment_alone"``), None when it stands.
    """

    rule_id: str
    kind: str
    params: dict[str, Any]
    high_impact: bool
    blocked: str | None = None


def evaluate(rule_set: RuleSet, signals: Mapping[str, Any]) -> list[ProposedAction]:
    """Propose the actions of every rule whose condition holds for an account's signals.

    Sentiment alone never triggers a high-impact action: when a rule with one holds, its
    condition is evaluated again with the interaction signals neutralised
    (:data:`SENTIMENT_NEUTRAL`); if it no longer holds, its high-impact actions are returned
    blocked (``"sentiment_alone"``) and its other actions stand.

    Parameters
    ----------
    rule_set : RuleSet
        The rule set in force.
    signals : Mapping
        The account's signals by catalogue name; a missing or None signal makes a leaf false.

    Returns
    -------
    list of ProposedAction
        In rule order, then action order.
    """
    proposals: list[ProposedAction] = []
    for rule in rule_set.rules:
        if not holds(rule.when, signals):
            continue
        blocked = None
        if any(a.high_impact for a in rule.actions):
            if not holds(rule.when, {**signals, **SENTIMENT_NEUTRAL}):
                blocked = BLOCKED_SENTIMENT_ALONE
        proposals.extend(
            ProposedAction(
                rule_id=rule.id,
                kind=a.kind,
                params=dict(a.params),
                high_impact=a.high_impact,
                blocked=blocked if a.high_impact else None,
            )
            for a in rule.actions
        )
    return proposals


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule kept by id whose content changed, with both versions' documents."""

    rule_id: str
    fields: tuple[str, ...]
    old: Mapping[str, Any]
    new: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RuleSetDiff:
    """What a new rule-set version changes against the old one."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[RuleChange, ...]
    settings_changed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """Whether the two versions behave alike (rule order and description aside)."""
        return not (self.added or self.removed or self.changed or self.settings_changed)


def rule_set_diff(old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """Compare two rule-set versions rule by rule (by id) for a reviewer.

    Parameters
    ----------
    old, new : RuleSet
        The version in force and the one proposed.

    Returns
    -------
    RuleSetDiff
        Ids added and removed (in their version's order), rules changed with the fields that
        changed, and which of ``levels`` and ``contact_cap`` changed.
    """
    old_rules = {r.id: _rule_document(r) for r in old.rules}
    new_rules = {r.id: _rule_document(r) for r in new.rules}
    changed = []
    for rule_id, new_doc in new_rules.items():
        old_doc = old_rules.get(rule_id)
        if old_doc is not None and old_doc != new_doc:
            fields = tuple(
                k for k in ("description", "when", "actions") if old_doc[k] != new_doc[k]
            )
            changed.append(RuleChange(rule_id, fields, old_doc, new_doc))
    old_doc, new_doc = old.to_document(), new.to_document()
    return RuleSetDiff(
        added=tuple(i for i in new_rules if i not in old_rules),
        removed=tuple(i for i in old_rules if i not in new_rules),
        changed=tuple(changed),
        settings_changed=tuple(k for k in ("levels", "contact_cap") if old_doc[k] != new_doc[k]),
    )


@dataclass(frozen=True)
class ShadowFigures:
    """What a rule-set version would have done over past snapshots; nothing was done.

    Attributes
    ----------
    snapshots : int
        Snapshots evaluated.
    accounts : int
        Distinct accounts among them.
    accounts_alerted : int
        Accounts for which at least one action would have been taken (blocked ones aside).
    actions_by_kind : dict
        Actions that would have been taken, by kind (blocked ones aside).
    high_impact_proposals : int
        High-impact actions proposed, blocked ones included.
    blocked : dict
        Proposals held back, by the guardrail's reason.
    rule_hits : dict
        Snapshots in which each rule's condition held, for every rule of the version.
    first_as_of, last_as_of : str or None
        The earliest and latest snapshot times, as given.
    """

    snapshots: int
    accounts: int
    accounts_alerted: int
    actions_by_kind: dict[str, int]
    high_impact_proposals: int
    blocked: dict[str, int]
    rule_hits: dict[str, int]
    first_as_of: str | None = None
    last_as_of: str | None = None


def shadow_run(
    rule_set: RuleSet, snapshots: Iterable[tuple[str, str, Mapping[str, Any]]]
) -> ShadowFigures:
    """Count what ``rule_set`` would have proposed over past snapshots of accounts' signals.

    Parameters
    ----------
    rule_set : RuleSet
        The version to try.
    snapshots : Iterable of (str, str, Mapping)
        ``(account_id, as_of, signals)``; ``as_of`` is an ISO 8601 time, all of them aware or
        all naive.

    Returns
    -------
    ShadowFigures
        Counts only: a shadow run never acts.
    """
    count = 0
    accounts: set[str] = set()
    alerted: set[str] = set()
    by_kind: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    hits: Counter[str] = Counter({rule.id: 0 for rule in rule_set.rules})
    high_impact = 0
    first: tuple[datetime, str] | None = None
    last: tuple[datetime, str] | None = None
    for account_id, as_of, signals in snapshots:
        count += 1
        accounts.add(account_id)
        moment = (datetime.fromisoformat(as_of), as_of)
        first = moment if first is None or moment[0] < first[0] else first
        last = moment if last is None or moment[0] > last[0] else last
        proposals = evaluate(rule_set, signals)
        hits.update({p.rule_id for p in proposals})
        for proposal in proposals:
            high_impact += proposal.high_impact
            if proposal.blocked is not None:
                blocked[proposal.blocked] += 1
            else:
                by_kind[proposal.kind] += 1
                alerted.add(account_id)
    return ShadowFigures(
        snapshots=count,
        accounts=len(accounts),
        accounts_alerted=len(alerted),
        actions_by_kind=dict(sorted(by_kind.items())),
        high_impact_proposals=high_impact,
        blocked=dict(blocked),
        rule_hits=dict(hits),
        first_as_of=first[1] if first else None,
        last_as_of=last[1] if last else None,
    )

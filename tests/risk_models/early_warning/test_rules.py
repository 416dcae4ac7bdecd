import copy
import hashlib
import json
from typing import Any

import pytest

from compliance.ledger import canonical_json as ledger_canonical_json
from risk_models.early_warning.guardrails import ContactCap
from risk_models.early_warning.levels import LEVELS, LevelPolicy
from risk_models.early_warning.rules import (
    CONTACT_KINDS,
    HIGH_IMPACT,
    SIGNALS,
    AllOf,
    Leaf,
    ProposedAction,
    RuleSetInvalid,
    default_rule_set_document,
    evaluate,
    holds,
    parse_rule_set,
    rule_set_diff,
    rule_set_sha256,
    shadow_run,
)
from risk_models.early_warning.signals import DPD_BUCKETS


def leaf(signal: str, op: str, value: Any) -> dict[str, Any]:
    return {"signal": signal, "op": op, "value": value}


def rule(rule_id: str, when: dict[str, Any], *actions: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rule_id,
        "description": f"Rule {rule_id}.",
        "when": when,
        "actions": list(actions) or [{"kind": "raise_alert", "severity": "info"}],
    }


def document(*rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": "Rules under test.",
        "levels": {"medium_pd": 0.25, "high_pd": 0.5},
        "contact_cap": {"max_contacts": 7, "window_days": 7, "channels": ["call"]},
        "rules": list(rules) or [rule("dpd-30-plus", leaf("days_past_due", ">=", 30))],
    }


def condition_holds(when: dict[str, Any], signals: dict[str, Any]) -> bool:
    return holds(parse_rule_set(document(rule("r", when))).rules[0].when, signals)


def problems_of(doc: Any) -> list[dict[str, str]]:
    with pytest.raises(RuleSetInvalid) as caught:
        parse_rule_set(doc)
    return caught.value.problems


# --- the catalogue ---------------------------------------------------------------------------


def test_catalogue_names_exactly_the_shared_signals():
    assert set(SIGNALS) == {
        "days_past_due", "dpd_bucket", "payment_ratio", "payment_ratio_drop",
        "payment_ratio_drop_threshold", "balance_drop", "utilisation", "engagement_ratio",
        "engagement_decline", "sentiment", "distress_terms", "bureau_delinquency",
        "behavioural_pd", "level", "previous_level", "months_on_book", "on_watch_list",
    }


def test_catalogue_choices_are_the_buckets_and_levels():
    assert SIGNALS["dpd_bucket"].choices == DPD_BUCKETS
    assert SIGNALS["level"].choices == SIGNALS["previous_level"].choices == LEVELS


@pytest.mark.parametrize(
    "protected", ["sex", "SEX", "marriage", "MARRIAGE", "marital_status", "age", "AGE",
                  "education", "EDUCATION", "national_origin", "nationality"]
)
def test_a_rule_over_a_protected_attribute_is_refused(protected):
    problems = problems_of(document(rule("r", leaf(protected, "==", 1))))
    assert [p["path"] for p in problems] == ["rules[0].when.signal"]


def test_no_signal_names_a_protected_attribute():
    protected = ("sex", "marri", "marital", "age", "educat", "nation", "origin", "birth")
    parts = {name: name.split("_") for name in SIGNALS}
    assert not [
        name for name in SIGNALS if any(p.startswith(protected) for p in parts[name])
    ]


def test_action_kind_sets():
    assert HIGH_IMPACT == {"propose_limit_reduction", "propose_restructuring"}
    assert CONTACT_KINDS == {"schedule_outreach"}


# --- operators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("==", 30, True), ("==", 31, False),
        ("!=", 31, True), ("!=", 30, False),
        ("<", 31, True), ("<", 30, False),
        ("<=", 30, True), ("<=", 29, False),
        (">", 29, True), (">", 30, False),
        (">=", 30, True), (">=", 31, False),
        ("in", [1, 30], True), ("in", [1, 31], False),
    ],
)
def test_each_operator_compares_the_signal_with_the_value(op, value, expected):
    assert condition_holds(leaf("days_past_due", op, value), {"days_past_due": 30}) is expected


def test_in_matches_text_choices():
    when = leaf("dpd_bucket", "in", ["31-60", "61-90"])
    assert condition_holds(when, {"dpd_bucket": "61-90"})
    assert not condition_holds(when, {"dpd_bucket": "1-30"})


def test_bool_equality():
    assert condition_holds(leaf("on_watch_list", "==", True), {"on_watch_list": True})
    assert not condition_holds(leaf("on_watch_list", "==", True), {"on_watch_list": False})


# --- nesting ---------------------------------------------------------------------------------


def test_all_needs_every_condition():
    when = {"all": [leaf("days_past_due", ">=", 1), leaf("balance_drop", "==", True)]}
    assert condition_holds(when, {"days_past_due": 5, "balance_drop": True})
    assert not condition_holds(when, {"days_past_due": 5, "balance_drop": False})


def test_any_needs_one_condition():
    when = {"any": [leaf("days_past_due", ">=", 1), leaf("balance_drop", "==", True)]}
    assert condition_holds(when, {"days_past_due": 0, "balance_drop": True})
    assert not condition_holds(when, {"days_past_due": 0, "balance_drop": False})


def test_not_inverts():
    when = {"not": leaf("on_watch_list", "==", True)}
    assert condition_holds(when, {"on_watch_list": False})
    assert not condition_holds(when, {"on_watch_list": True})


def test_nested_all_any_not():
    when = {"all": [
        leaf("days_past_due", ">=", 31),
        {"any": [leaf("level", "==", "high"), {"not": leaf("months_on_book", ">", 6)}]},
    ]}
    assert condition_holds(when, {"days_past_due": 40, "level": "low", "months_on_book": 3})
    assert not condition_holds(when, {"days_past_due": 40, "level": "low", "months_on_book": 12})
    assert condition_holds(when, {"days_past_due": 40, "level": "high", "months_on_book": 12})


def test_parsed_conditions_are_frozen_objects():
    parsed = parse_rule_set(document(rule("r", {"all": [leaf("days_past_due", ">=", 1)]})))
    assert parsed.rules[0].when == AllOf((Leaf("days_past_due", ">=", 1),))


# --- missing signals -------------------------------------------------------------------------


@pytest.mark.parametrize("signals", [{}, {"days_past_due": None}])
def test_a_leaf_over_a_missing_signal_is_false(signals):
    for op, value in [(">=", 0), ("<", 1000), ("!=", 5), ("in", [0, 1])]:
        assert not condition_holds(leaf("days_past_due", op, value), signals)


def test_not_of_a_leaf_over_a_missing_signal_is_true():
    assert condition_holds({"not": leaf("on_watch_list", "==", True)}, {})


def test_evaluate_with_no_signals_proposes_nothing_and_raises_nothing():
    assert evaluate(parse_rule_set(default_rule_set_document()), {}) == []


# --- validation: every problem with its path -------------------------------------------------


def _mutated(change) -> dict[str, Any]:
    doc = document(
        rule("first", leaf("days_past_due", ">=", 30)),
        rule("second", {"all": [leaf("balance_drop", "==", True)]}),
    )
    change(doc)
    return doc


BAD_DOCUMENTS = [
    ("unknown top-level key", lambda d: d.update(version=3), "version"),
    ("missing description", lambda d: d.pop("description"), "description"),
    ("blank description", lambda d: d.update(description="  "), "description"),
    ("levels not an object", lambda d: d.update(levels=[0.2, 0.4]), "levels"),
    ("medium pd out of range", lambda d: d["levels"].update(medium_pd=0), "levels.medium_pd"),
    ("high pd not a number", lambda d: d["levels"].update(high_pd="0.5"), "levels.high_pd"),
    ("high pd of one", lambda d: d["levels"].update(high_pd=1.0), "levels.high_pd"),
    ("cut-offs out of order", lambda d: d["levels"].update(medium_pd=0.6), "levels.high_pd"),
    ("unknown levels key", lambda d: d["levels"].update(low_pd=0.1), "levels.low_pd"),
    ("cap of zero", lambda d: d["contact_cap"].update(max_contacts=0), "contact_cap.max_contacts"),
    ("cap window too long", lambda d: d["contact_cap"].update(window_days=365),
     "contact_cap.window_days"),
    ("cap with no channel", lambda d: d["contact_cap"].update(channels=[]),
     "contact_cap.channels"),
    ("cap on unknown channel", lambda d: d["contact_cap"].update(channels=["call", "fax"]),
     "contact_cap.channels[1]"),
    ("cap channel twice", lambda d: d["contact_cap"].update(channels=["call", "call"]),
     "contact_cap.channels[1]"),
    ("cap missing", lambda d: d.pop("contact_cap"), "contact_cap"),
    ("calls left uncapped", lambda d: d["contact_cap"].update(channels=["email"]),
     "contact_cap.channels"),
    ("more calls than Reg F", lambda d: d["contact_cap"].update(max_contacts=10),
     "contact_cap.max_contacts"),
    ("rules not a list", lambda d: d.update(rules={}), "rules"),
    ("no rule at all", lambda d: d.update(rules=[]), "rules"),
    ("negative days past due", lambda d: d["rules"][0]["when"].update(value=-5),
     "rules[0].when.value"),
    ("a probability above one", lambda d: d["rules"][0]["when"].update(
        signal="behavioural_pd", value=7.5), "rules[0].when.value"),
    ("too many rules", lambda d: d.update(
        rules=[rule(f"r{i}", leaf("days_past_due", ">=", 1)) for i in range(201)]), "rules"),
    ("rule not an object", lambda d: d["rules"].append("dpd"), "rules[2]"),
    ("bad rule id", lambda d: d["rules"][1].update(id="Second_Rule"), "rules[1].id"),
    ("rule id with a line break", lambda d: d["rules"][1].update(id="second\n"), "rules[1].id"),
    ("duplicate rule id", lambda d: d["rules"][1].update(id="first"), "rules[1].id"),
    ("unknown rule key", lambda d: d["rules"][0].update(enabled=True), "rules[0].enabled"),
    ("rule without description", lambda d: d["rules"][0].pop("description"),
     "rules[0].description"),
    ("rule without condition", lambda d: d["rules"][0].pop("when"), "rules[0].when"),
    ("rule without actions", lambda d: d["rules"][0].update(actions=[]), "rules[0].actions"),
    ("unknown signal", lambda d: d["rules"][1]["when"]["all"][0].update(signal="dpd"),
     "rules[1].when.all[0].signal"),
    ("unknown operator", lambda d: d["rules"][0]["when"].update(op="=>"), "rules[0].when.op"),
    ("less-than on a bool", lambda d: d["rules"][1]["when"]["all"][0].update(op="<"),
     "rules[1].when.all[0].op"),
    ("text value for an int", lambda d: d["rules"][0]["when"].update(value="30"),
     "rules[0].when.value"),
    ("float value for an int", lambda d: d["rules"][0]["when"].update(value=30.5),
     "rules[0].when.value"),
    ("bool value for an int", lambda d: d["rules"][0]["when"].update(value=True),
     "rules[0].when.value"),
    ("number for a bool", lambda d: d["rules"][1]["when"]["all"][0].update(value=1),
     "rules[1].when.all[0].value"),
    ("missing value", lambda d: d["rules"][0]["when"].pop("value"), "rules[0].when.value"),
    ("in without a list", lambda d: d["rules"][0]["when"].update(op="in", value=30),
     "rules[0].when.value"),
    ("in with an empty list", lambda d: d["rules"][0]["when"].update(op="in", value=[]),
     "rules[0].when.value"),
    ("in with a bad element", lambda d: d["rules"][0]["when"].update(op="in", value=[1, "x"]),
     "rules[0].when.value[1]"),
    ("unknown bucket", lambda d: d["rules"][0].update(when=leaf("dpd_bucket", "==", "30+")),
     "rules[0].when.value"),
    ("unknown level", lambda d: d["rules"][0].update(when=leaf("level", "==", "severe")),
     "rules[0].when.value"),
    ("not a finite float", lambda d: d["rules"][0].update(
        when=leaf("payment_ratio", "<", float("nan"))), "rules[0].when.value"),
    ("unknown leaf key", lambda d: d["rules"][0]["when"].update(weight=2), "rules[0].when.weight"),
    ("empty all", lambda d: d["rules"][1]["when"].update(all=[]), "rules[1].when.all"),
    ("all and any together", lambda d: d["rules"][1]["when"].update(any=[]), "rules[1].when"),
    ("composite beside a leaf", lambda d: d["rules"][0]["when"].update(all=[]), "rules[0].when"),
    ("empty condition", lambda d: d["rules"][0].update(when={}), "rules[0].when"),
    ("condition not an object", lambda d: d["rules"][0].update(when=[]), "rules[0].when"),
    ("unknown action", lambda d: d["rules"][0].update(actions=[{"kind": "freeze_account"}]),
     "rules[0].actions[0].kind"),
    ("action not an object", lambda d: d["rules"][0].update(actions=["open_case"]),
     "rules[0].actions[0]"),
    ("missing parameter", lambda d: d["rules"][0].update(actions=[{"kind": "raise_alert"}]),
     "rules[0].actions[0].severity"),
    ("bad severity", lambda d: d["rules"][0].update(
        actions=[{"kind": "raise_alert", "severity": "urgent"}]), "rules[0].actions[0].severity"),
    ("bad priority", lambda d: d["rules"][0].update(
        actions=[{"kind": "open_case", "priority": "low"}]), "rules[0].actions[0].priority"),
    ("bad channel", lambda d: d["rules"][0].update(
        actions=[{"kind": "schedule_outreach", "channel": "fax"}]),
     "rules[0].actions[0].channel"),
    ("reduction of 95 %", lambda d: d["rules"][0].update(
        actions=[{"kind": "propose_limit_reduction", "reduce_by_pct": 95}]),
     "rules[0].actions[0].reduce_by_pct"),
    ("reduction of 0 %", lambda d: d["rules"][0].update(
        actions=[{"kind": "propose_limit_reduction", "reduce_by_pct": 0}]),
     "rules[0].actions[0].reduce_by_pct"),
    ("fractional reduction", lambda d: d["rules"][0].update(
        actions=[{"kind": "propose_limit_reduction", "reduce_by_pct": 12.5}]),
     "rules[0].actions[0].reduce_by_pct"),
    ("parameter the kind lacks", lambda d: d["rules"][0].update(
        actions=[{"kind": "add_to_watch_list", "priority": "high"}]),
     "rules[0].actions[0].priority"),
]


@pytest.mark.parametrize(
    ("change", "path"), [case[1:] for case in BAD_DOCUMENTS], ids=[c[0] for c in BAD_DOCUMENTS]
)
def test_each_problem_is_reported_at_its_path(change, path):
    problems = problems_of(_mutated(change))
    assert path in [p["path"] for p in problems]
    assert all(p["message"].endswith((".", "?")) and len(p["message"]) > 15 for p in problems)


def test_conditions_nested_deeper_than_eight_are_refused():
    when: dict[str, Any] = leaf("days_past_due", ">=", 1)
    for _ in range(8):
        when = {"not": when}
    problems = problems_of(document(rule("deep", when)))
    assert [p["path"] for p in problems] == ["rules[0].when" + ".not" * 8]


def test_conditions_nested_eight_deep_are_accepted():
    when: dict[str, Any] = leaf("days_past_due", ">=", 1)
    for _ in range(7):
        when = {"not": when}
    assert parse_rule_set(document(rule("deep", when)))


def test_two_hundred_rules_are_accepted():
    rules = [rule(f"r{i}", leaf("days_past_due", ">=", 1)) for i in range(200)]
    assert len(parse_rule_set(document(*rules)).rules) == 200


def test_every_problem_is_collected_not_only_the_first():
    doc = _mutated(lambda d: (
        d["levels"].update(medium_pd=2),
        d["rules"][0]["when"].update(signal="dpd"),
        d["rules"][1].update(actions=[]),
    ))
    assert {p["path"] for p in problems_of(doc)} == {
        "levels.medium_pd", "rules[0].when.signal", "rules[1].actions",
    }


def test_a_misspelt_signal_gets_a_suggestion():
    problems = problems_of(document(rule("r", leaf("days_pastdue", ">=", 1))))
    assert "'days_past_due'" in problems[0]["message"]


def test_a_document_that_is_not_an_object_is_refused():
    assert problems_of(["rules"])[0]["path"] == ""


def test_the_error_message_names_the_count_and_the_first_problem():
    with pytest.raises(RuleSetInvalid, match=r"^1 problem\(s\).*rules\[0\]\.when\.op"):
        parse_rule_set(document(rule("r", leaf("days_past_due", "=>", 1))))


# --- canonical form and digest ---------------------------------------------------------------


def test_to_document_round_trips():
    original = default_rule_set_document()
    parsed = parse_rule_set(original)
    assert parsed.to_document() == original
    assert parse_rule_set(parsed.to_document()) == parsed


def test_parsed_rule_set_carries_its_levels_and_cap():
    parsed = parse_rule_set(document())
    assert parsed.levels == LevelPolicy(0.25, 0.5)
    assert parsed.contact_cap == ContactCap(7, 7, ("call",))


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def test_sha256_is_stable_under_key_order():
    original = default_rule_set_document()
    reordered = _reordered(original)
    assert json.dumps(reordered) != json.dumps(original)
    assert rule_set_sha256(reordered) == rule_set_sha256(original)


def test_sha256_is_the_canonical_json_digest_the_ledger_uses():
    original = default_rule_set_document()
    expected = hashlib.sha256(ledger_canonical_json(original).encode()).hexdigest()
    assert rule_set_sha256(original) == expected == parse_rule_set(original).sha256


def test_sha256_treats_a_whole_float_threshold_as_the_float():
    whole = document(rule("r", leaf("payment_ratio", "<", 1)))
    point = document(rule("r", leaf("payment_ratio", "<", 1.0)))
    assert rule_set_sha256(whole) == rule_set_sha256(point)


def test_sha256_changes_with_a_threshold():
    changed = default_rule_set_document()
    changed["rules"][1]["when"]["all"][0]["value"] = 45
    assert rule_set_sha256(changed) != rule_set_sha256(default_rule_set_document())


# --- evaluation and the sentiment guardrail --------------------------------------------------


def test_evaluate_proposes_every_action_of_a_rule_that_holds():
    rs = parse_rule_set(document(rule(
        "dpd-31-plus", leaf("days_past_due", ">=", 31),
        {"kind": "open_case", "priority": "high"}, {"kind": "schedule_outreach", "channel": "call"},
    )))
    assert evaluate(rs, {"days_past_due": 31}) == [
        ProposedAction("dpd-31-plus", "open_case", {"priority": "high"}, False, None),
        ProposedAction("dpd-31-plus", "schedule_outreach", {"channel": "call"}, False, None),
    ]


def _restructure_on(when: dict[str, Any]):
    return parse_rule_set(document(rule(
        "restructure", when,
        {"kind": "open_case", "priority": "normal"}, {"kind": "propose_restructuring"},
    )))


def test_sentiment_alone_blocks_a_high_impact_action_but_not_the_others():
    rs = _restructure_on({"any": [leaf("sentiment", "<=", -0.5), leaf("days_past_due", ">=", 60)]})
    proposals = evaluate(rs, {"sentiment": -0.9, "days_past_due": 0})
    assert [(p.kind, p.high_impact, p.blocked) for p in proposals] == [
        ("open_case", False, None),
        ("propose_restructuring", True, "sentiment_alone"),
    ]


def test_distress_terms_alone_block_a_high_impact_action():
    rs = _restructure_on(leaf("distress_terms", ">", 0))
    assert evaluate(rs, {"distress_terms": 3})[1].blocked == "sentiment_alone"


def test_a_high_impact_action_stands_when_it_holds_without_sentiment():
    rs = _restructure_on({"any": [leaf("sentiment", "<=", -0.5), leaf("days_past_due", ">=", 60)]})
    assert evaluate(rs, {"sentiment": -0.9, "days_past_due": 75})[1].blocked is None


def test_a_high_impact_action_needing_sentiment_beside_arrears_is_blocked():
    # Neutralised, the 'all' no longer holds: sentiment is what tipped it.
    rs = _restructure_on({"all": [leaf("sentiment", "<=", -0.5), leaf("days_past_due", ">=", 60)]})
    assert evaluate(rs, {"sentiment": -0.9, "days_past_due": 75})[1].blocked == "sentiment_alone"


def test_evaluate_keeps_rule_order_and_skips_rules_that_do_not_hold():
    rs = parse_rule_set(document(
        rule("late", leaf("days_past_due", ">=", 1)),
        rule("very-late", leaf("days_past_due", ">=", 90)),
        rule("watched", leaf("on_watch_list", "==", True)),
    ))
    proposals = evaluate(rs, {"days_past_due": 5, "on_watch_list": True})
    assert [p.rule_id for p in proposals] == ["late", "watched"]


def test_proposal_params_are_a_copy():
    rs = parse_rule_set(document())
    first = evaluate(rs, {"days_past_due": 30})[0]
    first.params["severity"] = "critical"
    assert evaluate(rs, {"days_past_due": 30})[0].params == {"severity": "info"}


# --- the default rule set --------------------------------------------------------------------


def test_the_default_rule_set_parses():
    rs = parse_rule_set(default_rule_set_document())
    assert [r.id for r in rs.rules] == [
        "dpd-1-30-reminder", "dpd-31-plus-case", "payment-and-engagement-decline",
        "distress-with-payment-signal", "dpd-60-plus-restructuring",
        "high-risk-current-limit-reduction",
    ]
    assert rs.contact_cap == ContactCap()


def _default_kinds(signals: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.rule_id, p.kind) for p in evaluate(parse_rule_set(default_rule_set_document()),
                                                  signals)]


def test_default_rules_email_and_alert_early_arrears():
    assert _default_kinds({"days_past_due": 12, "dpd_bucket": "1-30"}) == [
        ("dpd-1-30-reminder", "schedule_outreach"), ("dpd-1-30-reminder", "raise_alert"),
    ]


def test_default_rules_propose_restructuring_from_sixty_days():
    kinds = _default_kinds({"days_past_due": 60, "dpd_bucket": "31-60", "on_watch_list": True})
    assert kinds == [("dpd-60-plus-restructuring", "propose_restructuring")]


def test_default_rules_open_a_case_for_distress_beside_a_payment_signal_only():
    assert _default_kinds({"distress_terms": 2, "payment_ratio_drop_threshold": True}) == [
        ("distress-with-payment-signal", "open_case"),
    ]
    assert _default_kinds({"distress_terms": 2, "sentiment": -0.9}) == []


def test_default_limit_reduction_only_on_revolving_accounts():
    signals = {"level": "high", "days_past_due": 0, "payment_ratio_drop": True}
    assert ("high-risk-current-limit-reduction", "propose_limit_reduction") in _default_kinds(
        {**signals, "utilisation": -0.1}
    )
    assert ("high-risk-current-limit-reduction", "propose_limit_reduction") not in _default_kinds(
        {**signals, "utilisation": None}
    )


# --- diff ------------------------------------------------------------------------------------


def test_diff_names_rules_added_removed_and_changed():
    old = parse_rule_set(document(
        rule("kept", leaf("days_past_due", ">=", 1)),
        rule("changed", leaf("days_past_due", ">=", 30)),
        rule("dropped", leaf("balance_drop", "==", True)),
    ))
    new = parse_rule_set(document(
        rule("kept", leaf("days_past_due", ">=", 1)),
        rule("changed", leaf("days_past_due", ">=", 45)),
        rule("added", leaf("engagement_decline", "==", True)),
    ))
    diff = rule_set_diff(old, new)
    assert (diff.added, diff.removed) == (("added",), ("dropped",))
    assert [(c.rule_id, c.fields) for c in diff.changed] == [("changed", ("when",))]
    assert diff.changed[0].old["when"]["value"] == 30 and diff.changed[0].new["when"]["value"] == 45
    assert diff.settings_changed == ()


def test_diff_names_changed_levels_and_cap():
    changed = document()
    changed["levels"]["high_pd"] = 0.6
    changed["contact_cap"]["max_contacts"] = 5
    diff = rule_set_diff(parse_rule_set(document()), parse_rule_set(changed))
    assert diff.settings_changed == ("levels", "contact_cap")
    assert not diff.empty


def test_diff_of_a_version_with_itself_is_empty():
    rs = parse_rule_set(default_rule_set_document())
    assert rule_set_diff(rs, copy.deepcopy(rs)).empty


# --- shadow run ------------------------------------------------------------------------------


def test_shadow_run_counts_what_the_version_would_have_done():
    rs = parse_rule_set(document(
        rule("late", leaf("days_past_due", ">=", 1),
             {"kind": "raise_alert", "severity": "warning"}),
        rule("restructure", {"any": [leaf("sentiment", "<=", -0.5),
                                     leaf("days_past_due", ">=", 60)]},
             {"kind": "propose_restructuring"}),
        rule("never", leaf("months_on_book", ">", 999)),
    ))
    snapshots = [
        ("a1", "2025-03-31T00:00:00+00:00", {"days_past_due": 5}),
        ("a1", "2025-04-30T00:00:00+00:00", {"days_past_due": 65}),
        ("a2", "2025-01-31T00:00:00+00:00", {"days_past_due": 0, "sentiment": -0.8}),
        ("a3", "2025-04-30T00:00:00+00:00", {"days_past_due": 0}),
    ]
    figures = shadow_run(rs, snapshots)
    assert figures.snapshots == 4
    assert figures.accounts == 3
    assert figures.accounts_alerted == 1  # a2's only proposal was blocked
    assert figures.actions_by_kind == {"propose_restructuring": 1, "raise_alert": 2}
    assert figures.high_impact_proposals == 2
    assert figures.blocked == {"sentiment_alone": 1}
    assert figures.rule_hits == {"late": 2, "restructure": 2, "never": 0}
    assert (figures.first_as_of, figures.last_as_of) == (
        "2025-01-31T00:00:00+00:00", "2025-04-30T00:00:00+00:00"
    )


def test_shadow_run_over_nothing_is_all_zero():
    figures = shadow_run(parse_rule_set(document()), [])
    assert (figures.snapshots, figures.accounts_alerted, figures.rule_hits) == (
        0, 0, {"dpd-30-plus": 0}
    )
    assert figures.first_as_of is None

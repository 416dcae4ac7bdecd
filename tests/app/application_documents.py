"""Application documents for tests: a sound applicant, and helpers to vary one field."""

from __future__ import annotations

import copy
from typing import Any


def good_application(**overrides: Any) -> dict[str, Any]:
    """A low-risk applicant asking for an affordable loan (every value fictitious)."""
    document: dict[str, Any] = {
        "loan": {"amount": "2500.00", "currency": "EUR", "term_months": 12,
                 "purpose": "car_used"},
        "kyc": {
            "full_name": "Alex Example",
            "date_of_birth": "1980-05-17",
            "national_id": "T22000129",
            "address": {"line1": "Musterstrasse 1", "city": "Berlin", "postal_code": "10115",
                        "country": "DE"},
            "contact": {"email": "alex@example.org", "phone": "+49 30 1234567"},
            "employment": {"status": "employed", "start_date": "2010-01-01",
                           "job_category": "skilled"},
            "monthly_income": "4200.00",
            "monthly_obligations": "900.00",
            "housing": "own",
            "residence_start_date": "2012-03-01",
            "dependents": 1,
            "property": "real_estate",
            "telephone_registered": True,
            "sanctions_screening": {"status": "clear", "reference": "SCR-1",
                                    "screened_at": "2026-01-02"},
        },
        "bureau": {"credit_history": "critical_account", "other_installment_plans": "none",
                   "delinquencies_24m": 0, "existing_credits_elsewhere": 0},
        "crm": {"checking_balance": "no_account", "savings_balance": "1200.00",
                "existing_credits_at_bank": 0, "customer_since": "2011-01-01"},
        "monitoring": {"sex": "female", "nationality": "DE"},
    }
    return with_changes(document, overrides)


def risky_application(**overrides: Any) -> dict[str, Any]:
    """A high-risk applicant: overdrawn, delays in the past, long term, little savings."""
    document = good_application()
    document["loan"].update({"amount": "6000.00", "term_months": 48, "purpose": "business"})
    document["crm"].update({"checking_balance": "-150.00", "savings_balance": "20.00"})
    document["bureau"].update({"credit_history": "all_paid_at_this_bank",
                               "other_installment_plans": "bank"})
    document["kyc"].update({"housing": "rent", "property": "none",
                            "telephone_registered": False, "residence_start_date": "2025-06-01"})
    document["kyc"]["employment"].update({"start_date": "2026-01-01"})
    return with_changes(document, overrides)


def with_changes(document: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Copy ``document`` with dotted-path changes: ``{"kyc.housing": "rent"}``."""
    result = copy.deepcopy(document)
    for path, value in changes.items():
        node = result
        *parents, leaf = path.split(".")
        for key in parents:
            node = node[key]
        if value is _DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result


_DELETE = object()
DELETE = _DELETE

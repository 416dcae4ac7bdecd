"""The ongoing monitoring plan of a scorecard (SR 11-7 §V, "ongoing monitoring"): what is
measured, how often, and at which level what happens. The one home of these thresholds (the
stability ones are a policy's, risk_models.policy.StabilityRules); the model validation report
prints them and the monitoring jobs apply them."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.fairness import FairnessThresholds
from risk_models.policy import StabilityRules

# Population and characteristic stability (PSI / CSI): the defaults of a policy's stability
# rules, which a policy may set otherwise and drift checks apply.
STABILITY_WARN = StabilityRules().warn
STABILITY_ACT = StabilityRules().act
# Discrimination on matured outcomes: a fall of this much AUC below the validated figure.
AUC_DROP_ACT = 0.05
# Share of decisions changed by an underwriter above which the override process is reviewed.
OVERRIDE_SHARE_ACT = 0.10


@dataclass(frozen=True)
class MonitoringItem:
    measure: str
    frequency: str
    threshold: str
    action: str


def monitoring_plan() -> list[MonitoringItem]:
    """The plan, as the validation report prints it."""
    fairness = FairnessThresholds()
    return [
        MonitoringItem("Score stability (PSI): live applications against the development "
                       "sample", "monthly",
                       f"warn at {STABILITY_WARN:.2f}; act at {STABILITY_ACT:.2f}",
                       "warn: investigate the shift; act: revalidate, retrain or recalibrate "
                       "before further use"),
        MonitoringItem("Characteristic stability (CSI) of every characteristic", "monthly",
                       f"warn at {STABILITY_WARN:.2f}; act at {STABILITY_ACT:.2f}",
                       "find the characteristic behind a score shift; act: rebin or retrain"),
        MonitoringItem("Discrimination (AUC, Gini, KS) on loans whose outcome has matured",
                       "quarterly", f"AUC more than {AUC_DROP_ACT:.2f} below the validated AUC",
                       "revalidate; prepare a challenger"),
        MonitoringItem("Calibration: observed against predicted bad rate by PD decile",
                       "quarterly", "observed bad rate outside the 95% binomial interval of "
                       "the predicted rate in two or more deciles", "recalibrate the PD scale"),
        MonitoringItem("Approval rate and adverse impact ratio by protected group "
                       "(monitoring data only)", "quarterly",
                       f"ratio below {fairness.min_air:.2f} with p < {fairness.max_p_value}",
                       "compliance review of the characteristics and cut-offs involved"),
        MonitoringItem("Overrides and reviews: share of decisions changed by an underwriter",
                       "monthly", f"above {OVERRIDE_SHARE_ACT:.0%}",
                       "review the override reasons and the cut-offs"),
    ]

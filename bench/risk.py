"""What the risk rules add to an API transfer: `risk_overhead_ratio` = p50 with the rules on ÷
p50 with them off (RISK_RULES_ENABLED), each through its own gunicorn on the same database.

Every default rule is enabled but set to flag (so the load is judged by all of them, queries and
the recorded evaluation included, yet nothing is held or refused). The two settings alternate
twice so that neither always runs on the larger database; the p50s are averaged.
"""

from statistics import mean

from bench import load


def _rules(enabled: bool) -> None:
    from wallet.models import RiskRule
    from wallet.risk.seed import risk_rules_default_ensure

    if enabled:
        risk_rules_default_ensure(action=RiskRule.Action.FLAG)
    else:
        RiskRule.objects.all().delete()


def risk_overhead(fixture, *, env: dict, workers: int, clients: int, seconds: float):
    """(p50 ms off, p50 ms on, errors)."""
    _rules(True)
    p50 = {"0": [], "1": []}
    errors = 0
    try:
        for enabled in ("0", "1", "1", "0"):
            with load.gunicorn(env={**env, "RISK_RULES_ENABLED": enabled}, workers=workers) as url:
                load.warm_up(url, fixture)
                result = load.api_run(
                    url, fixture, scenario="spread", clients=clients, seconds=seconds
                )
            p50[enabled].append(result.p50_ms)
            errors += result.errors
    finally:
        _rules(False)
    return mean(p50["0"]), mean(p50["1"]), errors

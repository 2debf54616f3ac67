"""A starting set of rules (seed_demo, make bench): one or two per rule code, idempotent."""

from decimal import Decimal

from .models import RiskRule

Code, Action = RiskRule.Code, RiskRule.Action

DEFAULT_RULES = [
    # code, name, action, score, low_risk, thresholds
    (Code.LARGE_AMOUNT, "大额 · 一级认证", Action.HOLD, 40, False, {"kyc_level": 1, "amount_threshold": "5000"}),
    (Code.LARGE_AMOUNT, "大额 · 二级认证", Action.HOLD, 40, False, {"kyc_level": 2, "amount_threshold": "50000"}),
    (Code.VELOCITY, "高频 · 10 分钟 10 笔", Action.FLAG, 20, False, {"count_threshold": 10, "window_minutes": 10}),
    (Code.VELOCITY, "高频 · 1 小时 2 万元", Action.HOLD, 30, False, {"amount_threshold": "20000", "window_minutes": 60}),
    (Code.NEW_PAYEE, "新收款人大额", Action.HOLD, 30, True, {"amount_threshold": "500"}),
    (Code.NEW_DEVICE, "新设备登录后首笔", Action.FLAG, 20, False, {"window_minutes": 60, "amount_threshold": "200"}),
    (Code.UNUSUAL_HOUR, "非常用时段", Action.FLAG, 10, False, {"count_threshold": 20, "lookback_days": 90, "amount_threshold": "500"}),
    (Code.FAILED_LOGINS, "多次登录或验证失败", Action.HOLD, 40, False, {"count_threshold": 5, "window_minutes": 30}),
    (Code.MANY_REQUESTS, "收款请求多人付款", Action.HOLD, 40, False, {"count_threshold": 5, "window_minutes": 60}),
    (Code.CASH_OUT, "新卡充值后速提", Action.BLOCK, 50, False, {"window_minutes": 60, "lookback_days": 3}),
]  # fmt: skip


def risk_rules_default_ensure(*, action: str | None = None) -> list[RiskRule]:
    """The default rules, created once (by code and name). `action` forces every rule's action
    (the benchmark judges with every rule but holds nothing)."""
    rules = []
    for code, name, default_action, score, low_risk, thresholds in DEFAULT_RULES:
        values = {
            key: Decimal(value) if key == "amount_threshold" else value
            for key, value in thresholds.items()
        }
        rule, _created = RiskRule.objects.get_or_create(
            code=code,
            name=name,
            defaults={"action": default_action, "score": score, "low_risk": low_risk, **values},
        )
        if action and rule.action != action:
            rule.action = action
            rule.save(update_fields=["action"])
        rules.append(rule)
    return rules

from decimal import Decimal

from django import template

from wallet.money import MINOR_UNITS, quantize

register = template.Library()


@register.filter
def money(amount, currency):
    """12345.6 CNY → "12,345.60"; the sign is kept so history reads −/+ at a glance."""
    if amount is None or currency not in MINOR_UNITS:
        return ""
    value = quantize(Decimal(amount), currency)
    return f"{value:,.{MINOR_UNITS[currency]}f}"


@register.filter
def signed_money(amount, currency):
    text = money(abs(Decimal(amount)), currency)
    return f"+{text}" if Decimal(amount) > 0 else f"−{text}"

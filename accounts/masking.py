"""How a person's name, email, phone or identity document number is shown to anyone other than
that person.

A payee on a transfer confirmation, the requester on a payment request, a delivery log line:
enough to recognise whom you deal with, never enough to learn who they are.
"""

import phonenumbers

from .phone import DEFAULT_REGION


def name_masked(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, John Smith → J*** S****."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def email_masked(email: str) -> str:
    """zhang.san@example.com → z***@example.com (the domain stays: it says which mailbox)."""
    local, _at, domain = (email or "").strip().partition("@")
    if not domain:
        return name_masked(local)
    return f"{local[:1]}***@{domain}"


def phone_masked(phone: str) -> str:
    """+8613812345678 → +86 138****5678; a short number keeps only its last four digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in phone if ch.isdigit())
        return "*" * max(len(digits) - 4, 4) + digits[-4:] if digits else ""
    national = str(number.national_number)
    if len(national) >= 9:
        masked = national[:3] + "*" * (len(national) - 7) + national[-4:]
    elif len(national) > 4:
        masked = "*" * (len(national) - 4) + national[-4:]
    else:
        masked = "*" * len(national)
    return f"+{number.country_code} {masked}"


def display_name_masked(user) -> str:
    """What others see of a customer: the masked name, or the masked email without one."""
    return name_masked(user.full_name) if user.full_name else email_masked(user.email)


def identity_number_masked(number: str) -> str:
    """What anyone but the owner may see: the first and last few characters, at most half of it.

    An 18-character resident ID shows 4 at each end (1101**********123X); a short passport
    number shows fewer, so that a masked number never gives most of it away.
    """
    number = number or ""
    shown = min(4, len(number) // 4)
    if shown == 0:
        return "*" * len(number)
    return number[:shown] + "*" * (len(number) - 2 * shown) + number[-shown:]

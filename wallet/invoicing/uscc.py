"""The unified social credit code (统一社会信用代码) of GB 32100-2015: a company's taxpayer ID.

18 characters from a 31-character set (digits and capital letters without I, O, S, V, Z); the
last one is a check character: weights 3^i mod 31 over the first 17, check = 31 - (sum mod 31),
31 meaning 0.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def uscc_normalise(code: str) -> str:
    return "".join((code or "").split()).upper()


def uscc_check_char(first17: str) -> str:
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None for a valid code, else which rule it breaks: "length", "charset" or "checksum"."""
    code = uscc_normalise(code)
    if len(code) != LENGTH:
        return "length"
    if any(char not in CHARSET for char in code):
        return "charset"
    if uscc_check_char(code[:17]) != code[17]:
        return "checksum"
    return None


def uscc_is_valid(code: str) -> bool:
    return uscc_problem(code) is None


def uscc_complete(first17: str) -> str:
    """A valid code from its first 17 characters (demo data and tests)."""
    first17 = uscc_normalise(first17)
    return first17 + uscc_check_char(first17)


def validate_uscc(value: str) -> None:
    """Model and form validator (a merchant's taxpayer ID in the admin)."""
    if value and not uscc_is_valid(value):
        raise ValidationError(
            _("Enter a valid unified social credit code (18 characters, GB 32100)."),
            code="invalid_uscc",
        )

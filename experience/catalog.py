"""The sample merchants and contacts of experience mode. Made up, fixed in code: nothing here is
a real shop or a real customer, so a demo can never pay or reveal anyone real."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# What a sample QR code holds: a prefix that no real merchant payment code has.
QR_PREFIX = "DEMO-"


@dataclass(frozen=True)
class Sample:
    code: str
    name: str
    detail: str

    @property
    def qr_payload(self) -> str:
        return f"{QR_PREFIX}{self.code.upper()}"


MERCHANTS = {
    sample.code: sample
    for sample in (
        Sample("coffee", _("Corner Coffee (sample shop)"), _("Coffee and pastries")),
        Sample("market", _("Fresh Fruit Market (sample shop)"), _("Fruit and vegetables")),
        Sample("books", _("City Bookstore (sample shop)"), _("Books and stationery")),
        Sample("metro", _("Metro Ticket Office (sample shop)"), _("Public transport")),
    )
}

CONTACTS = {
    sample.code: sample
    for sample in (
        Sample("mei", _("Wang Mei (sample contact)"), _("Daughter")),
        Sample("jun", _("Li Jun (sample contact)"), _("Friend")),
        Sample("hua", _("Zhang Hua (sample contact)"), _("Neighbour")),
    )
}


def merchant_from_input(value: str) -> Sample | None:
    """A sample merchant from its code or from the text of its sample QR code ("DEMO-COFFEE")."""
    text = (value or "").strip().lower()
    if text.startswith(QR_PREFIX.lower()):
        text = text[len(QR_PREFIX) :]
    return MERCHANTS.get(text)


def counterparty_name(kind: str, code: str) -> str:
    sample = (MERCHANTS if kind == "payment" else CONTACTS).get(code)
    return str(sample.name) if sample else ""

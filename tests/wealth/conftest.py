import pytest

from wallet.models import Transaction
from wealth.models import FundOrder

from .factories import FundProductFactory


@pytest.fixture
def fund():
    return FundProductFactory()


@pytest.fixture
def travel(monkeypatch):
    """Move the clock the services read (django.utils.timezone.now) to an ISO moment."""
    from datetime import datetime

    from django.utils import timezone

    def to(moment: str):
        frozen = datetime.fromisoformat(moment)
        monkeypatch.setattr(timezone, "now", lambda: frozen)
        for model in (Transaction, FundOrder):  # their created_at defaults hold the function
            monkeypatch.setattr(model._meta.get_field("created_at"), "_get_default", lambda: frozen)

    return to

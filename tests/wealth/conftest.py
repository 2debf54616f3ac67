import pytest

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

    return to

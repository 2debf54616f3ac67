"""The slice a dashboard shows: period, grain, and optionally branch, staff, campaign, channel."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from wallet.channel import CHANNELS

from .definitions import MAX_DAYS

GRAINS = ("day", "week", "month")
DEFAULT_DAYS = 30


class KpiFilterError(ApplicationError):
    default_code = "invalid_filter"


@dataclass(frozen=True)
class KpiFilters:
    start: date
    end: date
    grain: str = "day"
    branch_id: int | None = None
    staff_id: int | None = None
    campaign_id: int | None = None
    channel: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "KpiFilters":
        """The same number of days just before this period."""
        return replace(
            self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1)
        )

    def scope(self) -> dict:
        return {"br": self.branch_id, "st": self.staff_id, "chan": self.channel}

    def as_query(self) -> dict:
        query = {"start": self.start.isoformat(), "end": self.end.isoformat(), "grain": self.grain}
        for key, value in (
            ("branch", self.branch_id),
            ("staff", self.staff_id),
            ("campaign", self.campaign_id),
            ("channel", self.channel),
        ):
            if value is not None:
                query[key] = value
        return query

    @classmethod
    def from_query(cls, query, *, today: date | None = None) -> "KpiFilters":
        """From GET parameters; a bad one raises KpiFilterError naming each field."""
        from .facts import local_day

        today = today or local_day(timezone.now())
        errors: dict[str, list[str]] = {}

        def day(name: str, default: date) -> date:
            raw = (query.get(name) or "").strip()
            if not raw:
                return default
            try:
                return date.fromisoformat(raw)
            except ValueError:
                errors[name] = [_("Enter a date as YYYY-MM-DD.")]
                return default

        def number(name: str) -> int | None:
            raw = (query.get(name) or "").strip()
            if not raw:
                return None
            if not raw.isdigit() or not 0 < int(raw) < 2**31:
                errors[name] = [_("Choose one from the list.")]
                return None
            return int(raw)

        end = day("end", today)
        start = day("start", end - timedelta(days=DEFAULT_DAYS - 1))
        if "start" not in errors and "end" not in errors:
            if start > end:
                errors["start"] = [_("The start must not be after the end.")]
            elif (end - start).days + 1 > MAX_DAYS:
                errors["start"] = [_("Choose at most %(days)d days.") % {"days": MAX_DAYS}]
        grain = (query.get("grain") or "day").strip()
        if grain not in GRAINS:
            errors["grain"] = [_("Choose day, week or month.")]
        channel = (query.get("channel") or "").strip() or None
        if channel is not None and channel not in CHANNELS:
            errors["channel"] = [_("Choose web, app or counter.")]
        branch_id, staff_id, campaign_id = number("branch"), number("staff"), number("campaign")
        if errors:
            raise KpiFilterError(_("Check the filters."), fields=errors)
        return cls(
            start=start,
            end=end,
            grain=grain,
            branch_id=branch_id,
            staff_id=staff_id,
            campaign_id=campaign_id,
            channel=channel,
        )

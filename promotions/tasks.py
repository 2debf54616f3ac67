"""Celery tasks of promotions: thin, and harmless when run twice."""

from celery import shared_task

from . import points, segments, vouchers


@shared_task(name="promotions.expire_vouchers", ignore_result=True)
def expire_vouchers() -> int:
    """Vouchers past their date show as expired (payment refuses them whether or not this ran)."""
    return vouchers.vouchers_expire()


@shared_task(name="promotions.expire_points", acks_late=True)
def expire_points() -> int:
    """Points past their programme's validity expire once (the service is idempotent)."""
    return points.points_expire()


@shared_task(
    name="promotions.compute_segments", acks_late=True, soft_time_limit=1800, time_limit=1900
)
def compute_segments() -> dict:
    """Nightly: segments and affinities of consenting customers, then win-back messages."""
    run = segments.nightly_run()
    return {"customers": run.customers, "segments": run.segments, "win_backs": run.win_backs}

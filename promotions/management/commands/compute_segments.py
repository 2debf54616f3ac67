"""Compute customer segments now (what the nightly task does), for operators."""

from django.core.management.base import BaseCommand

from promotions.segments import nightly_run, segments_compute


class Command(BaseCommand):
    help = (
        "Put each customer who accepted personalised offers in segments (new, active, dormant, "
        "high spender, top categories) and recompute category affinities, then queue win-back "
        "messages for dormant customers who accepted marketing (unless --no-win-back). "
        "Idempotent: running it again gives the same rows and queues nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-win-back", action="store_true", help="Only segments; queue no win-back message."
        )

    def handle(self, *args, no_win_back=False, **options):
        run = segments_compute() if no_win_back else nightly_run()
        for code, count in sorted(run.by_code.items()):
            self.stdout.write(f"{code}: {count}")
        self.stdout.write(
            f"customers={run.customers} segments={run.segments} "
            f"affinities={run.affinities} win_backs={run.win_backs}"
        )

"""Each guardrail leaves its summary in var/ so that CI can print them all together."""

from django.conf import settings


def record_summary(name: str, text: str) -> None:
    folder = settings.BASE_DIR / "var"
    folder.mkdir(exist_ok=True)
    (folder / f"guardrails-{name}.txt").write_text(text.rstrip() + "\n")

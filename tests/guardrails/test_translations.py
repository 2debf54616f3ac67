"""Every message of our code has a zh_Hans translation that is not fuzzy.

`makemessages` runs on a copy of the project in a temporary directory: it rewrites the
catalog of the settings it runs with, and the copy's settings point at the copy's locale/.
The real locale/ is never touched.
"""

import shutil
import subprocess
import sys

import polib
import pytest
from django.conf import settings

pytestmark = pytest.mark.gettext

# The same as `make messages`.
IGNORED = (".venv", "var", "tests", "static")
CATALOG = "locale/zh_Hans/LC_MESSAGES/django.po"


def _copy_project(target):
    """The project's source: its top-level packages and folders, minus what is ignored."""
    for entry in sorted(settings.BASE_DIR.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED:
            continue
        if entry.is_dir() and not entry.name.endswith(".egg-info"):
            shutil.copytree(
                entry,
                target / entry.name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "node_modules"),
            )
        elif entry.name == "manage.py":
            shutil.copy2(entry, target / entry.name)


PROBE_MSGID = "Skip to content"  # in templates/base.html


def test_every_message_is_translated_and_none_is_fuzzy(tmp_path):
    real_catalog = settings.BASE_DIR / CATALOG
    before = real_catalog.read_bytes()
    _copy_project(tmp_path)
    # Take one message out of the copy: makemessages must put it back, proving it really ran
    # (it leaves a catalog byte-for-byte alone when nothing else changed).
    copy = polib.pofile(str(tmp_path / CATALOG))
    copy.remove(copy.find(PROBE_MSGID))
    copy.save()

    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            *(f"--ignore={name}" for name in IGNORED),
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert real_catalog.read_bytes() == before, "makemessages changed the real catalog"
    catalog = polib.pofile(str(tmp_path / CATALOG))
    assert catalog.find(PROBE_MSGID) is not None, "makemessages did not extract the messages"
    untranslated = [e.msgid for e in catalog.untranslated_entries() if e.msgid != PROBE_MSGID]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert not untranslated and not fuzzy, (
        f"{CATALOG}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy "
        "(run `make messages`, translate, remove the fuzzy flags):\n"
        + "\n".join(
            [*(f"untranslated: {m!r}" for m in untranslated), *(f"fuzzy: {m!r}" for m in fuzzy)]
        )
    )

"""bandit finds no high-severity security issue in the project's own code.

A finding is fixed in the code. Only a false positive gets `# nosec BXXX` on its line, with the
reason next to it.
"""

import json
import subprocess
import sys

from django.conf import settings

PACKAGES = (
    "accounts",
    "config",
    "wallet",
    "backoffice",
    "notifications",
    "promotions",
    "support",
    "wealth",
    "bench",
)


def bandit_high_findings(paths, cwd) -> tuple[list[str], list[str]]:
    """bandit's high-severity findings as `file:line Bxxx text`, and the files it could not read."""
    command = [sys.executable, "-m", "bandit", "--recursive", "--severity-level", "high"]
    command += ["--format", "json", "--quiet", *map(str, paths)]
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own arguments
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.strip(), f"bandit printed no report:\n{result.stderr}"
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} ({r['issue_confidence'].lower()} "
        f"confidence) {r['issue_text']}\n    {r['code'].strip()}"
        for r in report["results"]
        if r["issue_severity"] == "HIGH"
    ]
    errors = [f"{e['filename']}: {e['reason']}" for e in report["errors"]]
    return findings, errors


def test_bandit_finds_no_high_severity_issue_in_our_code():
    missing = [name for name in PACKAGES if not (settings.BASE_DIR / name).is_dir()]
    assert not missing, f"PACKAGES names folders that do not exist: {missing}"
    findings, errors = bandit_high_findings(PACKAGES, cwd=settings.BASE_DIR)
    assert not errors, "bandit could not scan:\n" + "\n".join(errors)
    assert not findings, f"{len(findings)} high-severity findings:\n" + "\n".join(findings)


def test_bandit_reports_a_planted_high_severity_issue(tmp_path):
    package = tmp_path / "planted"
    package.mkdir()
    (package / "bad.py").write_text(
        "import hashlib\nimport subprocess\n\n\n"
        "def run(command):\n"
        "    subprocess.call(command, shell=True)\n"
        "    return hashlib.md5(command.encode()).hexdigest()\n"
    )
    findings, errors = bandit_high_findings(["planted"], cwd=tmp_path)
    assert not errors
    assert [f.split()[1] for f in findings] == ["B602", "B324"], findings

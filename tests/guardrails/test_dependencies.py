"""No installed dependency of the project has a known vulnerability (pip-audit, PyPI's advisories).

Only what the project depends on is audited: the requirements of pyproject.toml (runtime and the
`dev` extra) and, through the installed metadata, everything they pull in, at the installed
versions. Other tools in the venv are not the project's business. A finding is fixed by raising
the lower bound in pyproject.toml to a fixed release; an advisory with no fixed release goes in
IGNORED_ADVISORIES with its reason.
"""

import json
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = settings.BASE_DIR / "pyproject.toml"
AUDIT_TIMEOUT_SECONDS = 300
# Advisory id -> why it is ignored. Only for advisories that no released version fixes yet.
IGNORED_ADVISORIES: dict[str, str] = {}


def _installed_closure(requirements: list[str]) -> tuple[dict[str, str], list[str]]:
    """{name: installed version} of `requirements` and all they require, and what is missing."""
    found: dict[str, str] = {}
    missing: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(raw) for raw in requirements]
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            missing.append(str(req))
            continue
        found[canonicalize_name(dist.metadata["Name"])] = dist.version
        extras = [{"extra": extra} for extra in sorted(req.extras)] or [{"extra": ""}]
        for raw in dist.requires or []:
            child = Requirement(raw)
            if child.marker is None or any(child.marker.evaluate(env) for env in extras):
                todo.append(child)
    return found, missing


def project_dependencies() -> tuple[dict[str, str], set[str], list[str]]:
    """The installed dependencies to audit, the names of those the runtime needs, what is missing."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    runtime, missing = _installed_closure(project["dependencies"])
    everything, missing_dev = _installed_closure(
        project["dependencies"] + project["optional-dependencies"]["dev"]
    )
    return everything, set(runtime), sorted(set(missing) | set(missing_dev))


def audit_findings(report: dict, runtime: set[str]) -> tuple[list[str], list[str]]:
    """pip-audit's JSON report as lines: each vulnerable package's advisories, and what it skipped."""
    vulnerable, unaudited = [], []
    for dep in report.get("dependencies", []):
        name = dep["name"]
        where = "" if canonicalize_name(name) in runtime else " (dev only)"
        if dep.get("skip_reason"):
            unaudited.append(f"{name}{where}: {dep['skip_reason']}")
        for vuln in dep.get("vulns", []):
            aliases = ", ".join(vuln.get("aliases") or [])
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            vulnerable.append(
                f"{name} {dep['version']}{where}: {vuln['id']}"
                + (f" ({aliases})" if aliases else "")
                + f", fixed in {fixed}"
            )
    return vulnerable, unaudited


def test_the_audit_covers_the_whole_dependency_tree_of_pyproject():
    audited, runtime, missing = project_dependencies()
    assert not missing, f"declared in pyproject.toml but not installed (make install): {missing}"
    assert {"django", "djangorestframework", "celery", "psycopg"} <= runtime
    assert {"kombu", "asgiref", "sqlparse"} <= runtime  # pulled in, not declared
    assert {"pytest", "pip-audit", "bandit"} <= set(audited) - runtime
    assert "wallet-portal" not in audited


def test_a_vulnerable_package_is_reported_with_its_advisory():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": []},
            {
                "name": "Django",
                "version": "5.2.0",
                "vulns": [
                    {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-2025-1"]}
                ],
            },
            {"name": "pytest", "version": "1.0", "vulns": [{"id": "GHSA-x", "fix_versions": []}]},
            {"name": "private-thing", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    vulnerable, unaudited = audit_findings(report, runtime={"django"})
    assert vulnerable == [
        "Django 5.2.0: PYSEC-2025-1 (CVE-2025-1), fixed in 5.2.1",
        "pytest 1.0 (dev only): GHSA-x, fixed in no fixed release",
    ]
    assert unaudited == ["private-thing (dev only): Dependency not found on PyPI"]


@pytest.mark.network
def test_no_dependency_has_a_known_vulnerability(tmp_path):
    audited, runtime, _missing = project_dependencies()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "".join(f"{name}=={version}\n" for name, version in sorted(audited.items()))
    )
    command = [sys.executable, "-m", "pip_audit", "--requirement", str(requirements)]
    # Every version is pinned to what is installed: no resolution, no pip, only the advisories.
    command += ["--no-deps", "--disable-pip", "--format", "json", "--progress-spinner", "off"]
    for advisory in IGNORED_ADVISORIES:
        command += ["--ignore-vuln", advisory]
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own arguments
        command, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_SECONDS, check=False
    )
    assert result.stdout.strip(), f"pip-audit printed no report:\n{result.stderr}"
    vulnerable, unaudited = audit_findings(json.loads(result.stdout), runtime)
    assert not vulnerable, (
        f"{len(vulnerable)} known vulnerabilities: raise the lower bound in pyproject.toml to a "
        "fixed release (or ignore an advisory that has none in IGNORED_ADVISORIES, with the "
        "reason):\n" + "\n".join(vulnerable)
    )
    assert not unaudited, "pip-audit could not audit these packages:\n" + "\n".join(unaudited)
    assert len(audited) >= 50, f"suspiciously few dependencies audited: {sorted(audited)}"

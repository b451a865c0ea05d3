"""`pip install secaudit` gives a tool that runs outside a checkout (issue 11, item 5).

The package is built offline from this checkout the way pip builds it from PyPI: an sdist first, then
the wheel from the unpacked sdist (so the sdist must carry checks/ and templates/). The wheel is
installed with --no-deps into a fresh venv that has no secaudit, and the installed ``secaudit`` runs
from a temporary folder that is not the repository, with no --checks or --templates: the defaults
must be the content inside the wheel (``secaudit/_content/``, see secaudit.resources).

No download: the dependencies come from this test environment through a .pth file in the fresh
venv. A directory named in a .pth is added to sys.path, but the .pth files inside that directory
are not processed, so this environment's editable secaudit (itself a .pth pointing at src/) stays
invisible and ``import secaudit`` can only find the wheel; the tests assert that it does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ("checks", "templates")

pytestmark = pytest.mark.slow

# PEP 517 hooks of the backend, called in-process by a child interpreter (no build isolation, no
# network): `python -c BUILD wheel|sdist OUT_DIR` prints the built file's name.
BUILD = "import sys, hatchling.build as b; print(getattr(b, 'build_' + sys.argv[1])(sys.argv[2]))"

VRP_CONFIG = """\
#
sysname EDGE-R1
#
ntp-service unicast-server 10.0.0.1
#
snmp-agent
snmp-agent sys-info version v3
#
stelnet server enable
telnet server disable
#
return
"""


@dataclass(frozen=True, slots=True)
class Installed:
    """The fresh venv with the wheel installed, and a work folder outside the repository."""

    wheel_names: frozenset[str]
    sdist_names: frozenset[str]
    site: Path  # the fresh venv's site-packages
    python: Path
    secaudit: Path  # the console script
    work: Path
    env: dict[str, str]

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _checkout_content() -> set[str]:
    """Files of checks/ and templates/ in this checkout, relative to the repository."""
    return {
        p.relative_to(ROOT).as_posix()
        for name in CONTENT
        for p in (ROOT / name).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _build(kind: str, source: Path, out: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, "-c", BUILD, kind, str(out)], cwd=source, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return out / proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("install")
    sdist = _build("sdist", ROOT, tmp / "dist")
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        sdist_names = frozenset(n.removeprefix(f"{top}/") for n in tar.getnames())
        tar.extractall(tmp / "unpacked", filter="data")
    wheel = _build("wheel", tmp / "unpacked" / top, tmp / "dist")
    with zipfile.ZipFile(wheel) as zf:
        wheel_names = frozenset(zf.namelist())

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # this environment's pip installs into the fresh interpreter (pip --python); the venv has no pip
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    deps = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))
    (site / "_secaudit_test_deps.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")

    work = tmp / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    return Installed(
        wheel_names=wheel_names,
        sdist_names=sdist_names,
        site=site,
        python=python,
        secaudit=venv / "bin" / "secaudit",
        work=work,
        env=env,
    )


def test_sdist_and_wheel_carry_the_content(installed: Installed) -> None:
    content = _checkout_content()
    assert any(n.startswith("checks/controls/") for n in content)
    assert any(n.startswith("templates/html/") for n in content)
    assert content <= installed.sdist_names
    assert {f"secaudit/_content/{n}" for n in content} <= installed.wheel_names
    # data that already lived inside the package is still there
    assert "secaudit/report/schemas/findings.schema.json" in installed.wheel_names
    assert any(n.startswith("secaudit/lab/data/") for n in installed.wheel_names)


def test_import_resolves_to_the_wheel_and_its_content(installed: Installed) -> None:
    probe = (
        "import json, secaudit, secaudit.resources as r; from secaudit.report.html import translate; "
        "print(json.dumps([secaudit.__file__, str(r.default_checks()), str(r.default_templates()), "
        "translate(r.default_templates(), 'zh-CN')('Compliant')]))"
    )
    proc = installed.run(installed.python, "-c", probe)
    assert proc.returncode == 0, proc.stderr
    module, checks, templates, compliant = json.loads(proc.stdout)
    assert Path(module).is_relative_to(installed.site), module
    assert not Path(module).is_relative_to(ROOT)
    assert Path(checks) == installed.site / "secaudit" / "_content" / "checks"
    assert Path(templates) == installed.site / "secaudit" / "_content" / "templates"
    assert compliant == "合规"  # the gettext catalogue came along with the templates


def test_checks_list_outside_the_checkout(installed: Installed) -> None:
    assert not installed.work.is_relative_to(ROOT)
    proc = installed.run(installed.secaudit, "checks", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    ids = {row["id"] for row in json.loads(proc.stdout)}
    expected = {p.stem for p in (ROOT / "checks" / "controls").glob("*/*.yaml")}
    assert ids == expected
    assert len(ids) == 44


def test_scan_config_outside_the_checkout(installed: Installed) -> None:
    cfg = installed.work / "edge-r1.cfg"
    cfg.write_text(VRP_CONFIG, encoding="utf-8")
    proc = installed.run(
        installed.secaudit, "scan-config", "--platform", "huawei_vrp", "--format", "json", cfg
    )
    assert proc.returncode in {0, 1, 3}, proc.stderr  # clean, fails found, incomplete: it ran
    doc = json.loads(proc.stdout)
    assert doc["findings"]
    assert {f["host"] for f in doc["findings"]} == {"edge-r1"}
    assert {h["name"] for h in doc["hosts"]} == {"edge-r1"}

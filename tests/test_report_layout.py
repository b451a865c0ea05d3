"""The operator report as a reader sees it in headless Chromium at 1,400 px.

A probe script is appended to a copy of a real bundle's ``report.html`` (the bundle itself is left
alone); Chromium runs the page and the probe writes what it measured into the DOM, which
``--dump-dom`` prints. Checked: no horizontal overflow of the page, the findings-to-act-on table
or any device table; no control id wraps; the status filter hides devices with nothing left and
opens those that match; every evidence link resolves to a file of the bundle. A screenshot of
each page is taken at 1,400 px (kept in ``$SECAUDIT_SCREENSHOTS`` when that is set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from secaudit.models.enums import Status
from secaudit.models.finding import RunResult
from test_browser import CHROMIUM, FLAGS, _png_rows
from test_report_formats import build_result

from conftest import TEMPLATES

WIDTH = 1400
PROBE = """
<script>
(function () {
  function overflow(el) { return el ? el.scrollWidth - el.clientWidth : null; }
  var out = {
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    failures: overflow(document.querySelector("#failures table")),
    tables: [], wrapped: [], filtered: {}
  };
  document.querySelectorAll("details.device").forEach(function (d) { d.open = true; });
  document.querySelectorAll("table").forEach(function (t) { out.tables.push(overflow(t)); });
  document.querySelectorAll("code.cid").forEach(function (c) {
    if (c.getClientRects().length !== 1 || c.scrollWidth > c.parentElement.clientWidth) {
      out.wrapped.push(c.textContent);
    }
  });
  var status = document.getElementById("f-status");
  ["pass", "fail", ""].forEach(function (value) {
    status.value = value;
    status.dispatchEvent(new Event("change"));
    out.filtered[value || "all"] = Array.prototype.map.call(
      document.querySelectorAll("details.device"), function (d) {
        return {
          host: d.dataset.host, hidden: d.hidden, open: d.open,
          rows: d.querySelectorAll("tr[data-status]:not([hidden])").length,
          matching: value ? d.querySelectorAll("tr[data-status='" + value + "']").length : -1
        };
      });
    out.filtered[(value || "all") + "_failures"] =
      document.querySelectorAll("#failures tbody tr:not([hidden])").length;
    out.filtered[(value || "all") + "_count"] = Number(document.getElementById("failures-count").textContent);
  });
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [f for f in FLAGS if not f.startswith("--window-size")]
    return subprocess.run(
        [
            str(CHROMIUM),
            *flags,
            f"--window-size={WIDTH},1000",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _probe(page: Path, tmp_path: Path) -> dict[str, Any]:
    html = page.read_text(encoding="utf-8")
    assert html.count("</body>") == 1
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    proc = _chromium(tmp_path, "--dump-dom", probed.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found, proc.stderr[-2000:]
    return dict(json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")))


@needs_chromium
@pytest.mark.parametrize("operator", ["telecom", "unicom"])
def test_operator_report_fits_1400px_and_filters(demo_run_dir: Path, operator: str, tmp_path: Path) -> None:
    out = _probe(demo_run_dir / operator / "report.html", tmp_path)
    assert out["page"] <= 0, "the page scrolls sideways at 1400 px"
    assert out["failures"] <= 0, "the findings-to-act-on table overflows"
    assert out["tables"] and all(o <= 0 for o in out["tables"]), out["tables"]
    assert out["wrapped"] == [], f"control ids wrap or overflow their cell: {out['wrapped'][:5]}"
    hosts = out["filtered"]["all"]
    assert hosts and not any(h["hidden"] for h in hosts)
    for value in ("pass", "fail"):
        for h in out["filtered"][value]:
            # A device is shown (and opened) exactly when it has findings of that status.
            assert h["hidden"] == (h["matching"] == 0), (value, h)
            assert h["open"] == (h["matching"] > 0), (value, h)
            assert h["rows"] == h["matching"], (value, h)
    assert out["filtered"]["pass_failures"] == 0  # no pass is a finding to act on
    for value in ("pass", "fail", "all"):  # the heading counts what is left
        assert out["filtered"][f"{value}_count"] == out["filtered"][f"{value}_failures"]
    assert out["filtered"]["fail_failures"] > 0
    assert any(h["hidden"] for h in out["filtered"]["fail"]) or all(
        h["matching"] for h in out["filtered"]["fail"]
    )


def _stress(result: RunResult) -> RunResult:
    """Device text a browser cannot break: long unspaced tokens in messages, observed lines and fixes."""
    token = "x" * 60
    long = "key-string " + "A1b2C3d4" * 60
    findings = tuple(
        f.model_copy(
            update={
                "message": f"{f.message} re_search='^{token}{token}' {long}",
                "message_zh": f"{f.message}：{long}",
                "observed": (*f.observed, long, "description " + "-" * 300),
                "remediation": (*f.remediation, "ssh server key " + "Z" * 400),
            }
        )
        if f.status in (Status.FAIL, Status.WARN, Status.PASS)
        else f
        for f in result.findings
    )
    return result.model_copy(update={"findings": findings})


@needs_chromium
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_unbreakable_device_text_does_not_widen_the_tables(lang: str, tmp_path: Path) -> None:
    from secaudit.report.bundle import write_operator_bundle

    (tmp_path / "run" / "evidence").mkdir(parents=True)
    folder = write_operator_bundle(tmp_path / "run", TEMPLATES, _stress(build_result()), "telecom", lang=lang)
    out = _probe(folder / "report.html", tmp_path)
    assert out["page"] <= 0, "the page scrolls sideways at 1400 px"
    assert out["failures"] is not None and out["failures"] <= 0, "the findings-to-act-on table overflows"
    assert all(o <= 0 for o in out["tables"]), out["tables"]
    assert out["wrapped"] == [], f"control ids wrap or overflow their cell: {out['wrapped'][:5]}"


@needs_chromium
@pytest.mark.parametrize("bundle", ["city", "telecom", "unicom"])
def test_screenshot_at_1400px(demo_run_dir: Path, bundle: str, tmp_path: Path) -> None:
    shot = tmp_path / f"{bundle}.png"
    proc = _chromium(tmp_path, f"--screenshot={shot}", (demo_run_dir / bundle / "report.html").as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    width, _, raw = _png_rows(shot.read_bytes())
    assert width == WIDTH
    assert len(set(raw[: len(raw) // 2])) > 20, "screenshot looks blank"
    keep = os.environ.get("SECAUDIT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_every_evidence_link_is_a_file_of_the_bundle(demo_run_dir: Path) -> None:
    checked = 0
    for page in demo_run_dir.glob("*/report.*"):
        if page.parent.name == "city" or page.suffix not in (".html", ".md"):
            continue
        text = page.read_text(encoding="utf-8")
        links = re.findall(r'href="(evidence/[^"]+)"', text) + re.findall(r"\]\((evidence/[^)]+)\)", text)
        assert links, f"{page}: no evidence link"
        for link in set(links):
            assert (page.parent / link).is_file(), f"{page}: {link} is not in the bundle"
            checked += 1
    assert checked > 10


def test_city_report_links_every_operator_report(demo_run_dir: Path) -> None:
    city = (demo_run_dir / "city" / "report.html").read_text(encoding="utf-8")
    operators = sorted(p.name for p in demo_run_dir.iterdir() if (p / "findings.json").is_file())
    assert operators
    for op in operators:
        assert f'href="../{op}/report.html"' in city, op
    for link in set(re.findall(r'href="(\.\./[^"#]+)', city)):
        assert (demo_run_dir / "city" / link).resolve().is_file(), link


@pytest.mark.parametrize("name", ["report.html", "report.md"])
def test_zh_reports_carry_no_engine_english(demo_run_dir: Path, name: str) -> None:
    # The demo's operators read zh-CN: findings are the controls' own Chinese text.
    for page in demo_run_dir.glob(f"*/{name}"):
        if page.parent.name == "city":
            continue
        text = page.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in text or name == "report.md"
        for engine in ("line(s) match", "re_search=", "block(s)", "rule(s) passed", "manual check:"):
            assert engine not in text, f"{page}: {engine!r}"

"""Golden and safety tests for the Markdown, CSV, JUnit and SARIF reports of one operator.

The run is built in code with a fixed clock. Device strings are hostile on purpose: HTML tags,
backtick runs, ``|``, formula starters and a control character. ``pytest --update-golden``
rewrites the files in ``tests/golden/reports/``.
"""

from __future__ import annotations

import csv
import hashlib
import html as html_mod
import io
import json
import pathlib
import re
from collections.abc import Callable
from datetime import UTC, datetime

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from junitparser import Error, Failure, JUnitXml, Skipped
from markdown_it import MarkdownIt

from secaudit.collect.text import command_slug
from secaudit.errors import ReportError
from secaudit.models.enums import (
    CollectionState,
    Environment,
    EvidenceSource,
    EvidenceState,
    Phase,
    Platform,
    Role,
    Severity,
    Status,
)
from secaudit.models.finding import (
    AttestationRef,
    CollectionRecord,
    EvidenceRef,
    Finding,
    RunInfo,
    RunResult,
    WaiverRef,
)
from secaudit.models.target import OperatorInfo, Target
from secaudit.report import csv_out as csv_mod
from secaudit.report import sarif as sarif_mod
from secaudit.report.csv_out import COLUMNS, csv_safe, render_csv
from secaudit.report.junit import render_junit, xml_text
from secaudit.report.markdown import md_codeblock, md_escape, render_markdown
from secaudit.report.sarif import evidence_slug, render_sarif

from conftest import TEMPLATES, TESTS

GOLDEN = TESTS / "golden" / "reports"
SARIF_SCHEMA = TESTS / "data" / "schemas" / "sarif-2.1.0.json"
T0 = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 0, 5, 0, tzinfo=UTC)
RUN_ID = "20260101T000000Z-abcdef"
OP = "telecom"
XSS = "<script>alert(1)</script>"
CFG = "display current-configuration"
SEC = "display security risk"
EMPTY = hashlib.sha256(b"").hexdigest()


def _ev(command: str, state: EvidenceState = EvidenceState.OK) -> EvidenceRef:
    # As the pipeline does: evidence without text carries the digest of no bytes (no file stored).
    digest = command_slug(command).encode().hex().ljust(64, "0")[:64] if state is EvidenceState.OK else EMPTY
    return EvidenceRef(command=command, sha256=digest, state=state)


def _finding(
    host: str, control: str, status: Status, severity: Severity = Severity.HIGH, **kw: object
) -> Finding:
    fields: dict[str, object] = {
        "fingerprint": f"{host}-{control}".encode().hex()[:24],
        "control_id": control,
        "control_version": 1,
        "title": f"Title of {control[4:]}",
        "title_zh": f"{control[4:]}控制项",
        "host": host,
        "operator": OP,
        "role": Role.OLT,
        "platform": Platform.HUAWEI_SMARTAX,
        "phase": Phase.BUILD,
        "severity": severity,
        "status": status,
        "message": f"{control} on {host}: {status.value}",
        "evidence": (_ev(CFG),),
    }
    fields.update(kw)
    return Finding.model_validate(fields)


def build_result() -> RunResult:
    """Two hosts of ``telecom`` with findings of every status, plus a host of another operator."""
    waiver = WaiverRef(
        ticket="CHG-0042",
        approver="sec-lead",
        justification="legacy NMS needs telnet until | migration",
        expires=datetime(2026, 6, 30, tzinfo=UTC),
        state="active",
    )
    expired = waiver.model_copy(update={"ticket": "CHG-0001", "state": "expired"})
    a, b = "olt-a", "olt-b"
    findings = (
        # olt-b listed first on purpose: output must not depend on input order.
        _finding(b, "SEC-MGMT-001", Status.PASS, observed=("stelnet server enable",)),
        _finding(
            b,
            "SEC-MGMT-002",
            Status.FAIL,
            Severity.MEDIUM,
            message="banner leaks model",
            observed=("header login information `MA5800` | v1",),
            waiver=expired,
        ),
        _finding(
            b,
            "SEC-LOG-001",
            Status.ERROR,
            message="evidence truncated",
            evidence=(_ev(SEC, EvidenceState.TRUNCATED),),
        ),
        _finding(
            b,
            "SEC-NTP-001",
            Status.NOT_COLLECTED,
            Severity.LOW,
            message="not collected",
            evidence=(_ev("display ntp-service status", EvidenceState.NOT_COLLECTED),),
        ),
        _finding(
            a,
            "SEC-MGMT-003",
            Status.FAIL,
            Severity.CRITICAL,
            message=f'=HYPERLINK("http://x") banner says {XSS}',
            observed=(
                "header shell information \"=cmd|' /C calc'!A0\"",
                f"description {XSS} | ```` fenced",
                "-1+1 @SUM(A1)\x07",
            ),
            expected="no device banner with markup",
            remediation=("undo header shell information", "+ also check `display banner`"),
            evidence=(_ev(CFG), _ev(SEC)),
        ),
        _finding(
            a,
            "SEC-MGMT-004",
            Status.FAIL,
            Severity.HIGH,
            message="telnet enabled",
            observed=("telnet server enable",),
            remediation=("undo telnet server enable",),
            waived=True,
            waiver=waiver,
        ),
        _finding(
            a,
            "SEC-IAM-001",
            Status.WARN,
            Severity.LOW,
            message="idle timeout 15 > 10",
            observed=("idle-timeout 15 0",),
        ),
        _finding(
            a,
            "SEC-PLAN-001",
            Status.MANUAL,
            Severity.MEDIUM,
            phase=Phase.PLAN,
            message="manual check: topology review",
            evidence=(),
            attestation=AttestationRef(
                reference="ATT-7",
                attested_by="auditor",
                attested_at=datetime(2025, 12, 1, tzinfo=UTC),
                expires=datetime(2026, 12, 1, tzinfo=UTC),
                statement="reviewed",
                expired=False,
            ),
        ),
        _finding(
            a,
            "SEC-UPF-001",
            Status.NOT_APPLICABLE,
            Severity.INFO,
            message="not applicable: no 5G",
            evidence=(),
        ),
        _finding(a, "SEC-MGMT-001", Status.PASS, observed=("stelnet server enable",)),
        # Another operator's host: must appear in no telecom report.
        _finding("edge-m", "SEC-MGMT-001", Status.FAIL, operator="mobile", message="MOBILE-ONLY"),
    )
    targets = tuple(
        Target(
            name=name,
            hostname=f"{name}.lab",
            platform=Platform.HUAWEI_SMARTAX,
            operator=op,
            role=Role.OLT,
            site="site|1 <b>",
            environment=Environment.LAB,
            model="MA5800-X7",
        )
        for name, op in ((b, OP), (a, OP), ("edge-m", "mobile"))
    )
    return RunResult(
        run=RunInfo(
            id=RUN_ID,
            started_at=T0,
            finished_at=T1,
            tool_version="0.9.0",
            checks_digest="c" * 64,
            profile="baseline",
            source=EvidenceSource.OFFLINE,
        ),
        operators={
            OP: OperatorInfo(id=OP, display_name="中国电信", display_name_en="China Telecom"),
            "mobile": OperatorInfo(id="mobile", display_name="中国移动", display_name_en="China Mobile"),
        },
        targets=targets,
        findings=findings,
        collection=(
            CollectionRecord(
                host=b,
                operator=OP,
                state=CollectionState.OUTPUT_TRUNCATED,
                detail="`display security risk` cut | <i>",
            ),
            CollectionRecord(host=a, operator=OP, state=CollectionState.OK),
            CollectionRecord(
                host="edge-m", operator="mobile", state=CollectionState.UNREACHABLE, detail="MOBILE-ONLY"
            ),
        ),
    )


RENDERERS: dict[str, Callable[[RunResult], bytes]] = {
    "report.md": lambda r: render_markdown(r, OP, TEMPLATES, "en"),
    "report.zh-CN.md": lambda r: render_markdown(r, OP, TEMPLATES, "zh-CN"),
    "findings.csv": lambda r: render_csv(r, OP),
    "junit.xml": lambda r: render_junit(r, OP),
    "findings.sarif": lambda r: render_sarif(r, OP),
}


@pytest.fixture(scope="module")
def result() -> RunResult:
    return build_result()


@pytest.fixture(scope="module")
def rendered(result: RunResult) -> dict[str, bytes]:
    return {name: render(result) for name, render in RENDERERS.items()}


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, bytes], None]:
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, data: bytes) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        assert path.is_file(), f"{path} missing: run pytest --update-golden"
        assert data == path.read_bytes(), f"{name} differs from its golden file (pytest --update-golden)"

    return check


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden(name: str, rendered: dict[str, bytes], golden: Callable[[str, bytes], None]) -> None:
    golden(name, rendered[name])


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_deterministic_and_order_independent(
    name: str, result: RunResult, rendered: dict[str, bytes]
) -> None:
    again = RENDERERS[name](build_result())
    shuffled = result.model_copy(
        update={"findings": tuple(reversed(result.findings)), "targets": tuple(reversed(result.targets))}
    )
    assert again == rendered[name]
    assert RENDERERS[name](shuffled) == rendered[name]


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_other_operator(name: str, rendered: dict[str, bytes]) -> None:
    text = rendered[name].decode("utf-8-sig")
    assert "MOBILE-ONLY" not in text
    assert "edge-m" not in text


@pytest.mark.parametrize(
    "render",
    [
        lambda r: render_markdown(r, "cable", TEMPLATES, "en"),
        lambda r: render_csv(r, "cable"),
        lambda r: render_junit(r, "cable"),
        lambda r: render_sarif(r, "cable"),
    ],
)
def test_unknown_operator(render: Callable[[RunResult], bytes], result: RunResult) -> None:
    with pytest.raises(ReportError, match="cable"):
        render(result)


# ---------------------------------------------------------------- Markdown


def _outside_fences(md: str) -> str:
    out, fence = [], ""
    for line in md.splitlines():
        m = re.match(r"^(`{3,})", line)
        if fence:
            if m and m.group(1) == fence and line.strip() == fence:
                fence = ""
            continue
        if m:
            fence = m.group(1)
            continue
        out.append(line)
    assert not fence, "unclosed code fence"
    return "\n".join(out)


@pytest.mark.parametrize("name", ["report.md", "report.zh-CN.md"])
def test_markdown_neutralises_html(name: str, rendered: dict[str, bytes]) -> None:
    md = rendered[name].decode("utf-8")
    prose = _outside_fences(md)
    assert "<script" not in prose
    assert "<b>" not in prose and "<i>" not in prose
    assert "&lt;script&gt;" in prose
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in html  # in code blocks it is rendered as &lt;script&gt;
    assert "<b>" not in html and "<i>" not in html


def test_markdown_structure(rendered: dict[str, bytes]) -> None:
    md = rendered["report.md"].decode("utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    # metadata, summary, findings to act on, health, two hosts
    assert sum(t.type == "table_open" for t in tokens) == 6
    fences = [t for t in tokens if t.type == "fence"]
    # The hostile observed lines survive verbatim inside their block.
    assert any(f"description {XSS} | ```` fenced" in t.content for t in fences)
    assert any("undo header shell information" in t.content for t in fences)
    # Every finding row stays a six-cell row even with '|' in device text.
    html = MarkdownIt("commonmark").enable("table").render(md)
    finding_rows = [r for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S) if "<td>SEC-" in r]
    assert len(finding_rows) == 10 + 6  # every finding in its host's table, plus the 6 to act on
    assert all(r.count("<td") == 6 for r in finding_rows)
    assert "Score with waivers" in md
    assert "CHG-0042" in md and "EXPIRED" in md


def test_md_escape_table_pipe() -> None:
    cell = md_escape("a | b\nc")
    html = MarkdownIt("commonmark").enable("table").render(f"| h |\n| --- |\n| {cell} |\n")
    assert "<td>a | b c</td>" in html


@pytest.mark.parametrize("text", ["plain", "a ``` b", "````", "`", "x\ny ```` z\n`````"])
def test_md_codeblock_round_trip(text: str) -> None:
    tokens = MarkdownIt("commonmark").parse(md_codeblock(text.split("\n")) + "\nafter\n")
    assert tokens[0].type == "fence"
    assert tokens[0].content == text + "\n"
    assert any(t.type == "paragraph_open" for t in tokens[1:])


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from("<>|`*_[]()#&\\\n!=-+~"),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_md_escape_property(text: str) -> None:
    """Any string stays one table cell, shown as the same text, and never becomes markup."""
    out = MarkdownIt("commonmark").enable("table").render(f"| h |\n| --- |\n| x{md_escape(text)} |\n")
    cells = re.findall(r"<td>(.*?)</td>", out, flags=re.S)
    assert len(cells) == 1
    assert "<" not in cells[0]  # no tag of any kind: emphasis, code, links, raw HTML
    flat = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", re.sub(r"[\t\r\n\u2028\u2029]+", " ", text))
    assert html_mod.unescape(cells[0]).strip() == ("x" + flat).strip()


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT.map(lambda t: t.replace("\n", "").replace("\r", "")), min_size=1, max_size=4))
def test_md_codeblock_property(lines: list[str]) -> None:
    """Any lines come back verbatim (control characters aside) from the fenced block."""
    tokens = MarkdownIt("commonmark").parse(md_codeblock(lines) + "\n")
    assert tokens[0].type == "fence"
    clean = [re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", ln) for ln in lines]
    assert tokens[0].content == "\n".join(clean) + "\n"


def test_markdown_language(rendered: dict[str, bytes]) -> None:
    zh = rendered["report.zh-CN.md"].decode("utf-8")
    en = rendered["report.md"].decode("utf-8")
    assert "MGMT-003控制项" in zh and "Title of MGMT-003" not in zh
    assert "Title of MGMT-003" in en
    with pytest.raises(ReportError, match="unsupported report language"):
        render_markdown(build_result(), OP, TEMPLATES, "fr")


# ---------------------------------------------------------------- CSV


def test_csv_reads_back(rendered: dict[str, bytes], result: RunResult) -> None:
    data = rendered["findings.csv"]
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    own = [f for f in result.findings if f.operator == OP]
    assert len(rows) == len(own)
    assert [(r["host"], r["control_id"]) for r in rows] == sorted((f.host, f.control_id) for f in own)
    assert {r["status"] for r in rows} == {s.value for s in Status}
    assert "MGMT-003控制项" in {r["title_zh"] for r in rows}
    waived = next(r for r in rows if r["control_id"] == "SEC-MGMT-004")
    assert (waived["waived"], waived["waiver_ticket"], waived["waiver_state"]) == (
        "true",
        "CHG-0042",
        "active",
    )
    bad = next(r for r in rows if r["control_id"] == "SEC-MGMT-003")
    assert bad["evidence"].count("@") == 2 and " | " in bad["evidence"]
    nc = next(r for r in rows if r["control_id"] == "SEC-NTP-001")
    assert nc["evidence"] == "display ntp-service status@(not_collected)"


def test_csv_injection_guard(rendered: dict[str, bytes]) -> None:
    rows = list(csv.reader(io.StringIO(rendered["findings.csv"].decode("utf-8-sig"), newline="")))
    cells = [c for row in rows for c in row]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    bad = next(r for r in rows if r[COLUMNS.index("control_id")] == "SEC-MGMT-003")
    assert bad[COLUMNS.index("message")].startswith("'=HYPERLINK(")
    assert bad[COLUMNS.index("observed")].startswith("header shell information")  # not at cell start
    assert "'+ also" not in bad[COLUMNS.index("remediation")]  # guard is per cell, not per item


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        ("'x", "'x"),
    ],
)
def test_csv_safe(cell: str, expected: str) -> None:
    assert csv_safe(cell) == expected


# ---------------------------------------------------------------- JUnit


def test_junit_parses(rendered: dict[str, bytes]) -> None:
    xml = JUnitXml.fromstring(rendered["junit.xml"].decode("utf-8"))
    suites = {s.name: s for s in xml}
    assert sorted(suites) == ["olt-a", "olt-b"]
    outcome: dict[str, tuple[str, str | None]] = {}
    for suite in suites.values():
        for case in suite:
            assert case.classname == suite.name
            kinds = [type(r).__name__ for r in case.result]
            msg = case.result[0].message if case.result else None
            outcome[f"{suite.name} {case.name.split()[0]}"] = (kinds[0] if kinds else "pass", msg)
    assert outcome["olt-a SEC-MGMT-003"][0] == "Failure"
    assert outcome["olt-a SEC-MGMT-004"] == ("Skipped", "waived: CHG-0042")
    assert outcome["olt-a SEC-PLAN-001"] == ("Skipped", "manual")
    assert outcome["olt-a SEC-UPF-001"] == ("Skipped", None)
    assert outcome["olt-a SEC-IAM-001"][0] == "pass"
    assert outcome["olt-a SEC-MGMT-001"][0] == "pass"
    assert outcome["olt-b SEC-LOG-001"][0] == "Error"
    assert outcome["olt-b SEC-NTP-001"][0] == "Error"
    assert outcome["olt-b SEC-MGMT-002"][0] == "Failure"  # expired waiver does not waive
    assert "CHG-0001 expired" in (outcome["olt-b SEC-MGMT-002"][1] or "")
    a = suites["olt-a"]
    assert (a.tests, a.failures, a.errors, a.skipped) == (6, 1, 0, 3)
    b = suites["olt-b"]
    assert (b.tests, b.failures, b.errors, b.skipped) == (4, 1, 2, 0)
    warn = next(c for c in a if c.name.startswith("SEC-IAM-001"))
    assert "WARNING" in (warn.system_out or "")
    assert isinstance(next(c for c in a if c.name.startswith("SEC-MGMT-003")).result[0], Failure)
    assert isinstance(next(c for c in b if c.name.startswith("SEC-LOG-001")).result[0], Error)
    assert isinstance(next(c for c in a if c.name.startswith("SEC-UPF-001")).result[0], Skipped)


def test_junit_text_is_escaped_and_legal(rendered: dict[str, bytes]) -> None:
    data = rendered["junit.xml"]
    assert b"\x07" not in data
    assert b"<script>" not in data
    xml = JUnitXml.fromstring(data.decode("utf-8"))
    case = next(c for s in xml for c in s if c.name.startswith("SEC-MGMT-003"))
    assert XSS in (case.result[0].message or "")  # round-trips as text
    assert XSS in (case.result[0].text or "")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30), st.lists(st.text(max_size=30), max_size=3))
def test_junit_any_device_text_is_well_formed(message: str, observed: list[str]) -> None:
    base = build_result()
    f = _finding("olt-a", "SEC-MGMT-009", Status.FAIL, message=message, observed=tuple(observed))
    xml = JUnitXml.fromstring(render_junit(base.model_copy(update={"findings": (f,)}), OP).decode("utf-8"))
    (case,) = [c for s in xml for c in s]
    # Attribute values normalise CR to LF via &#13;/&#10; escapes; content is otherwise exact.
    assert case.result[0].message == xml_text(message)


def test_xml_text_strips_illegal() -> None:
    assert xml_text("a\x00b\x1bc\ufffed\ud800e\tf\ng") == "abcde\tf\ng"


# ---------------------------------------------------------------- SARIF


def test_sarif_valid(rendered: dict[str, bytes]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    doc = json.loads(rendered["findings.sarif"])
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(doc)


def test_sarif_content(rendered: dict[str, bytes]) -> None:
    doc = json.loads(rendered["findings.sarif"])
    (run,) = doc["runs"]
    assert doc["version"] == "2.1.0"
    driver = run["tool"]["driver"]
    assert driver["name"] == "secaudit" and driver["version"] == "0.9.0"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted(rule_ids) and len(rule_ids) == len(set(rule_ids)) == 9
    results = {(r["locations"][0]["logicalLocations"][0]["name"], r["ruleId"]): r for r in run["results"]}
    assert sorted(r["properties"]["status"] for r in results.values()) == [
        "error",
        "fail",
        "fail",
        "fail",
        "not_collected",
        "warn",
    ]
    for r in run["results"]:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"]["secaudit/v1"]
    assert results[("olt-a", "SEC-MGMT-003")]["level"] == "error"
    assert results[("olt-b", "SEC-MGMT-002")]["level"] == "warning"
    assert results[("olt-a", "SEC-IAM-001")]["level"] == "warning"
    assert results[("olt-b", "SEC-NTP-001")]["level"] == "note"
    waived = results[("olt-a", "SEC-MGMT-004")]
    assert waived["suppressions"][0]["kind"] == "external"
    assert "CHG-0042" in waived["suppressions"][0]["justification"]
    assert "suppressions" not in results[("olt-b", "SEC-MGMT-002")]  # expired waiver
    loc = results[("olt-a", "SEC-MGMT-003")]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == "evidence/olt-a/display_current-configuration.txt"
    assert run["artifacts"][loc["index"]]["location"]["uri"] == loc["uri"]
    assert (
        results[("olt-a", "SEC-MGMT-003")]["relatedLocations"][0]["physicalLocation"]["artifactLocation"][
            "uri"
        ]
        == "evidence/olt-a/display_security_risk.txt"
    )
    # Evidence that was never stored gets no physical location.
    assert "physicalLocation" not in results[("olt-b", "SEC-NTP-001")]["locations"][0]
    assert "physicalLocation" not in results[("olt-b", "SEC-LOG-001")]["locations"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "olt-b: collection output_truncated: `display security risk` cut | <i>"
    ]


@pytest.mark.parametrize(
    "command",
    [CFG, "display current-configuration | section snmp", "  Show Running-Config  ", "show ntp status/x"],
)
def test_sarif_slug_matches_store(command: str) -> None:
    assert evidence_slug(command) == command_slug(command)


def test_empty_digest_constants() -> None:
    assert sarif_mod.EMPTY_SHA256 == csv_mod.EMPTY_SHA256 == EMPTY


def test_golden_files_are_exactly_those_rendered() -> None:
    names = {p.name for p in GOLDEN.iterdir()} if GOLDEN.is_dir() else set()
    assert names == set(RENDERERS)


def test_html_report_keeps_device_strings_inert(result: RunResult, tmp_path: pathlib.Path) -> None:
    from secaudit.report.bundle import write_operator_bundle

    (tmp_path / "evidence").mkdir()
    folder = write_operator_bundle(tmp_path, TEMPLATES, result, "telecom", lang="en")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only the report's own filter script


def test_markdown_opens_with_the_findings_to_act_on(rendered: dict[str, bytes]) -> None:
    md = rendered["report.md"].decode("utf-8")
    head, _, rest = md.partition("## Collection health")
    assert rest and "## Device:" not in head, "the findings to act on come before health and hosts"
    section = head.partition("## Findings to act on, most severe first (6)")[2]
    rows = re.findall(r"^\| (\w+) \| (SEC-[A-Z]+-\d{3}) \| ([\w-]+) \| ([\w ]+) \|", section, flags=re.M)
    assert [(sev, cid, host) for sev, cid, host, _ in rows] == [
        ("critical", "SEC-MGMT-003", "olt-a"),
        ("high", "SEC-MGMT-004", "olt-a"),
        ("high", "SEC-LOG-001", "olt-b"),
        ("medium", "SEC-MGMT-002", "olt-b"),
        ("low", "SEC-NTP-001", "olt-b"),
        ("low", "SEC-IAM-001", "olt-a"),
    ]
    # Within a host, what needs action comes first and passes last.
    host_a = md.partition("## Device: olt-a")[2].partition("## Device:")[0]
    order = re.findall(r"^\| (SEC-[A-Z]+-\d{3}) \|", host_a, flags=re.M)
    assert order[0] == "SEC-MGMT-003" and order[-1] == "SEC-MGMT-001"


def test_html_opens_with_failures_and_links_evidence(result: RunResult, tmp_path: pathlib.Path) -> None:
    from secaudit.report.bundle import write_operator_bundle

    run_evidence = tmp_path / "evidence" / "olt-a"
    run_evidence.mkdir(parents=True)
    (run_evidence / "display_current-configuration.txt").write_text("x\n", encoding="utf-8")
    (run_evidence / "display_security_risk.txt").write_text("x\n", encoding="utf-8")
    folder = write_operator_bundle(tmp_path, TEMPLATES, result, "telecom", lang="en")
    page = (folder / "report.html").read_text(encoding="utf-8")
    failures = page.index('<section id="failures">')
    assert failures < page.index("Collection health") < page.index('<details class="device"')
    section = page[failures : page.index("</section>", failures)]
    assert re.findall(r'data-control="(SEC-[A-Z]+-\d{3})" data-host="([\w-]+)"', section) == [
        ("SEC-MGMT-003", "olt-a"),
        ("SEC-MGMT-004", "olt-a"),
        ("SEC-LOG-001", "olt-b"),
        ("SEC-MGMT-002", "olt-b"),
        ("SEC-NTP-001", "olt-b"),
        ("SEC-IAM-001", "olt-a"),
    ]
    links = set(re.findall(r'<a href="(evidence/[^"]+)"', page))
    assert links == {
        "evidence/olt-a/display_current-configuration.txt",
        "evidence/olt-a/display_security_risk.txt",
        "evidence/olt-b/display_current-configuration.txt",
    }
    # Evidence without a stored file (truncated to nothing, not collected) is named, not linked.
    assert "evidence/olt-b/display_security_risk.txt" not in page
    assert "evidence/olt-b/display_ntp-service_status.txt" not in page

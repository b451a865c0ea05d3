"""The fast report path writes the same bytes as the straightforward one it replaced.

Each speed-up of the report and sign stages is checked against a reference written the plain way:
the indented JSON encoder against ``json.dumps``, the streamed findings document against the
one-shot encoder, the JUnit writer against ElementTree, the Jinja2 environment (dict lookups,
cached ``_()``) against Jinja2's own, the HTML and Markdown reports against a render from
freshly dumped findings, the bundle scan against ``rglob``, and a run written by several
processes against the same run written by one.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment, FileSystemLoader, StrictUndefined

from secaudit.errors import ReportError, VerificationError
from secaudit.models.enums import (
    CollectionState,
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
from secaudit.pipeline import publish
from secaudit.report import html as html_mod
from secaudit.report import junit as junit_mod
from secaudit.report.base import OperatorReport, operator_report
from secaudit.report.html import I18N_CONTEXT, ReportEnvironment, install_i18n, translations
from secaudit.report.json_doc import dumps, findings_document, indented, iter_dumps
from secaudit.report.junit import render_junit, xml_text
from secaudit.report.markdown import _escape_text, markdown_chunks, md_codeblock, md_escape, render_markdown
from secaudit.report.summary import host_sections
from secaudit.report.triage import evidence_href, failures, in_triage_order
from secaudit.sign.manifest import RESERVED, FileDigest, _digest, scan_files, verify_bundle

from conftest import TEMPLATES

# ``secaudit.pipeline.publish`` is also the name of the function the package exports.
publish_mod = importlib.import_module("secaudit.pipeline.publish")

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOSTILE = [
    "<script>alert(1)</script>",
    "a|b `c` *d* [e](f)",
    "# head\nnext",
    "=cmd|' /C calc'!A0",
    "100% sure %(x)s %%",
    "tab\there\r\nCRLF",
    "bell\x07nul\x00",
    "中文 «quotes» \"dq\" 'sq' & amp",
    "```` fence",
    "",
    "\u2028ls\u2029ps",
]
OPERATORS = ("telecom", "mobile", "unicom")


def build(hosts: int = 12) -> RunResult:
    """A small run across three operators with every status, waivers, attestations and hostile text."""
    targets, findings, collection = [], [], []
    for i in range(hosts):
        op = OPERATORS[i % 3]
        name = f"h{(i * 7) % hosts:03d}"
        targets.append(
            Target(
                name=name,
                hostname="127.0.0.1",
                platform=Platform.HUAWEI_VRP,
                operator=op,
                role=Role.EDGE5G,
                site=f"s<{i % 4}>",
                environment="lab",
                model="NE40E|`x`",
            )
        )
        state = CollectionState.OK if i % 5 else CollectionState.TIMEOUT
        collection.append(
            CollectionRecord(host=name, operator=op, state=state, detail=HOSTILE[i % len(HOSTILE)])
        )
        for j, status in enumerate(Status):
            text = HOSTILE[(i + j) % len(HOSTILE)]
            waiver = None
            if j % 3 == 0:
                waiver = WaiverRef(
                    ticket=f"CHG-{j}",
                    approver=text or "x",
                    justification=text,
                    expires=T0 + timedelta(days=j),
                    state=("active", "expired", "lapsed")[(i + j) % 3],
                )
            findings.append(
                Finding(
                    fingerprint=f"{name}-{j}",
                    control_id=f"SEC-T-{j:03d}",
                    control_version=1,
                    title=f"Title {j} {text}",
                    title_zh=f"标题 {j}",
                    host=name,
                    operator=op,
                    role=Role.EDGE5G,
                    platform=Platform.HUAWEI_VRP,
                    phase=list(Phase)[j % 3],
                    severity=list(Severity)[j % 5],
                    status=status,
                    waived=waiver is not None and waiver.state == "active" and status is Status.FAIL,
                    waiver=waiver,
                    attestation=AttestationRef(
                        reference=text or "ATT",
                        attested_by="a|b",
                        attested_at=T0,
                        expires=T0,
                        statement=text,
                        expired=bool(i % 2),
                    )
                    if status is Status.MANUAL
                    else None,
                    message=f"{status.value}: {text}",
                    observed=(text, "line two") if j % 2 else (),
                    expected=text,
                    remediation=("undo x", text) if status is Status.FAIL else (),
                    evidence=(
                        EvidenceRef(
                            command="display current-configuration",
                            sha256=hashlib.sha256(name.encode()).hexdigest(),
                            state=EvidenceState.OK,
                        ),
                        EvidenceRef(command="display x", sha256="", state=EvidenceState.TRUNCATED),
                    )
                    if j % 2
                    else (),
                )
            )
    findings.reverse()  # output must not depend on input order
    run = RunInfo(
        id="20260101T000000Z-abcdef",
        started_at=T0,
        finished_at=T0,
        tool_version="test",
        checks_digest="0" * 64,
        profile="baseline",
        source=EvidenceSource.OFFLINE,
    )
    operators = {
        op: OperatorInfo(
            id=op, display_name=f"{op} <&>", display_name_en=op, lang="en" if op == "mobile" else "zh-CN"
        )
        for op in OPERATORS
    }
    return RunResult(
        run=run,
        operators=operators,
        targets=tuple(targets),
        findings=tuple(findings),
        collection=tuple(collection),
    )


@pytest.fixture(scope="module")
def result() -> RunResult:
    return build()


# --- JSON -----------------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=3)
    ),
    max_leaves=25,
)


@given(_json)
@settings(max_examples=300, deadline=None)
def test_indented_is_json_dumps(value: object) -> None:
    assert indented(value) == json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def test_indented_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        indented({"a": {1, 2}})
    with pytest.raises(TypeError):
        indented({"a": 1, 2: 3})  # keys that cannot be sorted together
    odd = {1.5: math.inf, 2: -math.inf, 0: math.nan, 3: [{}, []]}
    assert indented(odd) == json.dumps(odd, ensure_ascii=False, indent=2, sort_keys=True)


def _reference_dumps(document: dict[str, Any]) -> bytes:
    """The findings document as the report stage wrote it before streaming."""
    items = document.get("findings")
    if not isinstance(items, list) or not items:
        return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    head = {k: v for k, v in document.items() if k != "findings"}
    head["findings"] = ["\x00FINDINGS\x00"]
    text = json.dumps(head, ensure_ascii=False, indent=2, sort_keys=True)
    lines = ",\n".join(
        "    " + json.dumps(f, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")) for f in items
    )
    return (text.replace('    "\\u0000FINDINGS\\u0000"', lines, 1) + "\n").encode("utf-8")


@pytest.mark.parametrize("operator", [*OPERATORS, None])
def test_findings_document_streams_the_same_bytes(result: RunResult, operator: str | None) -> None:
    findings = [f for f in result.findings if operator is None or f.operator == operator]
    doc = findings_document(result, operator, findings)
    expected = _reference_dumps(doc)
    assert dumps(doc) == expected
    chunks = list(iter_dumps(doc, chunk_chars=64))
    assert len(chunks) > 3
    assert b"".join(chunks) == expected
    assert dumps({"findings": [], "a": 1}) == _reference_dumps({"findings": [], "a": 1})


def test_shared_rows_make_the_same_document(result: RunResult) -> None:
    report = operator_report(result, "telecom")
    fresh = findings_document(result, "telecom", report.findings)
    assert report.document == fresh
    assert fresh["hosts"] and {h["compliant"] for h in fresh["hosts"]} == {False}
    assert report.row(report.findings[0]) is report.rows[0]


# --- JUnit ----------------------------------------------------------------------------------------


def _reference_junit(result: RunResult, operator: str) -> bytes:
    """junit.xml built with ElementTree, as the report stage wrote it before."""

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        e = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
        if text:
            e.text = xml_text(text)
        return e

    def case(suite: ET.Element, f: Finding) -> str:
        c = el(suite, "testcase", classname=f.host, name=f"{f.control_id} {f.title}", time="0")
        details = junit_mod._details(f)
        if f.status is Status.FAIL and f.waived:
            el(c, "skipped", details, message=f"waived: {f.waiver.ticket if f.waiver else ''}")
            return "skipped"
        if f.status is Status.FAIL:
            message = f.message
            if f.waiver is not None:
                message += f" (waiver {f.waiver.ticket} {f.waiver.state}: not waived)"
            el(c, "failure", details, message=message, type=f.severity.value)
            return "failure"
        if f.status in (Status.ERROR, Status.NOT_COLLECTED):
            el(c, "error", details, message=f.message, type=f.status.value)
            return "error"
        if f.status is Status.NOT_APPLICABLE:
            el(c, "skipped")
            el(c, "system-out", f.message)
            return "skipped"
        if f.status is Status.MANUAL:
            el(c, "skipped", details, message="manual")
            return "skipped"
        if f.status is Status.WARN:
            el(c, "system-out", "WARNING: " + details)
        return "pass"

    findings = sorted(
        (f for f in result.findings if f.operator == operator),
        key=lambda f: (f.host, f.control_id, f.fingerprint),
    )
    root = ET.Element("testsuites", {"name": xml_text(f"secaudit {operator} {result.run.id}")})
    for host in sorted({f.host for f in findings}):
        items = [f for f in findings if f.host == host]
        suite = el(
            root, "testsuite", name=host, timestamp=result.run.started_at.strftime("%Y-%m-%dT%H:%M:%S")
        )
        props = el(suite, "properties")
        target = next((t for t in result.targets if t.name == host), None)
        values = {"operator": operator, "run_id": result.run.id, "profile": result.run.profile}
        if target is not None:
            values |= {"platform": target.platform.value, "role": target.role.value, "site": target.site}
        for key in sorted(values):
            el(props, "property", name=key, value=values[key])
        outcomes = [case(suite, f) for f in items]
        suite.set("tests", str(len(items)))
        for key, outcome in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            suite.set(key, str(outcomes.count(outcome)))
        suite.set("time", "0")
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root.iter("testsuite"))))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@pytest.mark.parametrize("operator", OPERATORS)
def test_junit_writer_is_elementtree(result: RunResult, operator: str) -> None:
    assert render_junit(result, operator) == _reference_junit(result, operator)


def test_junit_without_findings_is_elementtree(result: RunResult) -> None:
    empty = result.model_copy(update={"findings": ()})
    assert render_junit(empty, "telecom") == _reference_junit(empty, "telecom")


@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=10))
@settings(max_examples=150, deadline=None)
def test_junit_writer_is_elementtree_for_any_text(message: str, observed: str, host: str) -> None:
    base = build(3)
    changed = tuple(
        f.model_copy(
            update={"message": message, "observed": (observed,), "host": host or f.host, "title": observed}
        )
        for f in base.findings
    )
    run = base.model_copy(update={"findings": changed})
    assert render_junit(run, "telecom") == _reference_junit(run, "telecom")


# --- Jinja2 ---------------------------------------------------------------------------------------

TEMPLATE = (
    "{{ d.x }}|{{ d.items() | list | length }}|{{ d.missing is defined }}|{{ o.real }}|"
    '{{ _("Compliant") }}|{{ _("100%% <b>") }}|{{ _("%(n)s devices", n=n) }}|{{ _("Compliant") }}'
)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_report_environment_renders_as_jinja(lang: str, autoescape: bool) -> None:
    def env(cls: type[Environment]) -> Environment:
        return cls(loader=DictLoader({"t": TEMPLATE}), autoescape=autoescape, undefined=StrictUndefined)

    plain = env(Environment)
    plain.add_extension("jinja2.ext.i18n")
    plain.install_gettext_translations(translations(str(TEMPLATES), lang), newstyle=True)  # type: ignore[attr-defined]
    fast = install_i18n(env(ReportEnvironment), str(TEMPLATES), lang)
    context = {"d": {"x": "<x>", "items": "a key named items"}, "o": 3, "n": "<7>"}
    for _ in range(2):  # the second time, from the cache
        assert fast.get_template("t").render(context) == plain.get_template("t").render(context)


def _reference_env(lang: str, *, autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,  # noqa: S701 - a reference for both reports; Markdown escapes by filter
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_escape"] = _escape_text_or_none
    env.filters["md_codeblock"] = md_codeblock
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translations(str(TEMPLATES), lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def _escape_text_or_none(value: object) -> str:
    return "" if value is None else _escape_text(str(value))


@pytest.mark.parametrize("operator", OPERATORS)
def test_html_report_is_jinja_on_fresh_dumps(result: RunResult, operator: str) -> None:
    from secaudit.report.formats import FORMATS

    report = operator_report(result, operator, TEMPLATES)
    doc = findings_document(result, operator, report.findings)
    context = {
        **I18N_CONTEXT,
        "lang": report.lang,
        "run": doc["run"],
        "operator": result.operators[operator].model_dump(mode="json"),
        "summary": doc["summary"],
        "hosts": (hosts := in_triage_order(host_sections(report.targets, report.findings))),
        "failures": failures(hosts),
        "collection": doc["collection"],
        "evidence_href": evidence_href,
    }
    expected = (
        _reference_env(report.lang, autoescape=True).get_template("html/report.html.j2").render(context)
    )
    html = next(f for f in FORMATS if f.name == "html")
    assert html.render(report) == expected.encode("utf-8")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_markdown_report_is_jinja_on_fresh_dumps(result: RunResult, lang: str) -> None:
    findings = sorted(
        (f for f in result.findings if f.operator == "telecom"),
        key=lambda f: (f.host, f.control_id, f.fingerprint),
    )
    doc = findings_document(result, "telecom", findings)
    targets = sorted((t for t in result.targets if t.operator == "telecom"), key=lambda t: t.name)
    hosts = in_triage_order(host_sections(targets, findings))
    context = {
        "lang": lang,
        **I18N_CONTEXT,
        "run": doc["run"],
        "operator": result.operators["telecom"].model_dump(mode="json"),
        "summary": doc["summary"],
        "compliant_hosts": sum(h["compliant"] for h in hosts),
        "collection": sorted(doc["collection"], key=lambda c: (c["host"], c["state"], c["detail"])),
        "failures": failures(hosts),
        "hosts": hosts,
        "evidence_href": evidence_href,
        "detailed_statuses": ["fail", "warn", "error"],
    }
    expected = _reference_env(lang, autoescape=False).get_template("markdown/report.md.j2").render(context)
    assert render_markdown(result, "telecom", TEMPLATES, lang) == expected.encode("utf-8")


def test_streamed_template_is_rendered_whole(result: RunResult, monkeypatch: pytest.MonkeyPatch) -> None:
    report = OperatorReport(result, "telecom", TEMPLATES, "en")
    whole = render_markdown(result, "telecom", TEMPLATES, "en")
    monkeypatch.setattr(html_mod, "CHUNK_PIECES", 7)
    chunks = list(markdown_chunks(report))
    assert len(chunks) > 10
    assert b"".join(chunks) == whole


@pytest.mark.parametrize("value", ["a|b <c>", "# x", None, 42, 1.5, "", "`x`\nnext"])
def test_md_escape_cache_is_transparent(value: object) -> None:
    assert md_escape(value) == _escape_text_or_none(value)
    assert md_escape(value) == md_escape(value)


def test_template_errors_name_the_template(tmp_path: Path, result: RunResult) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "broken.html.j2").write_text("{{ nothing.here }}")
    with pytest.raises(ReportError, match="broken"):
        html_mod.render(tmp_path, "html/broken.html.j2", {"lang": "en"})


# --- signing --------------------------------------------------------------------------------------


def _reference_scan(bundle: Path) -> dict[str, FileDigest]:
    files: dict[str, FileDigest] = {}
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_symlink():
            raise VerificationError(f"{bundle}: symlink {rel!r} in bundle; bundles hold regular files only")
        if not path.is_file() or rel in RESERVED:
            continue
        digest, size = _digest(str(path), "sha256")
        files[rel] = FileDigest(path=rel, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), size=size)
        assert digest == files[rel].sha256
    return files


def test_scan_is_rglob(tmp_path: Path) -> None:
    b = tmp_path / "b"
    for rel in ("a/b.txt", "a-c.txt", "a/z/y.txt", ".hidden", "manifest.json", "x/manifest.json", "é.txt"):
        (b / rel).parent.mkdir(parents=True, exist_ok=True)
        (b / rel).write_bytes(rel.encode() * 1000)
    (b / "empty").mkdir()
    scanned = scan_files(b)
    assert scanned == _reference_scan(b)
    assert list(scanned) == list(_reference_scan(b))
    assert "manifest.json" not in scanned and "x/manifest.json" in scanned
    (b / "a" / "link").symlink_to(b / "a-c.txt")
    (b / "z-link").symlink_to(b / "a")
    with pytest.raises(VerificationError) as new:
        scan_files(b)
    with pytest.raises(VerificationError) as old:
        _reference_scan(b)
    assert str(new.value) == str(old.value)
    assert "'a/link'" in str(new.value)


# --- several processes ----------------------------------------------------------------------------


def _run(result: RunResult, root: Path, processes: int) -> Path:
    partial = root / f".partial-{result.run.id}"
    for t in result.targets:
        (partial / "evidence" / t.name).mkdir(parents=True)
        (partial / "evidence" / t.name / "display_current-configuration.txt").write_text(
            f"sysname {t.name}\n"
        )
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return publish(
        result,
        partial,
        TEMPLATES,
        key,
        remediation={t.name: f"plan {t.name}\n" for t in result.targets},
        processes=processes,
    )


def _files(run: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(run.rglob("*")):
        if not path.is_file() or path.name == "manifest.sig":
            continue
        data = path.read_bytes()
        if path.name == "manifest.json":
            doc = json.loads(data)
            doc.pop("signed_at")
            data = json.dumps(doc).encode()
        out[path.relative_to(run).as_posix()] = data
    return out


def test_parallel_run_writes_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publish_mod, "PARALLEL_MIN_FINDINGS", 1)
    run = build(30)
    if threading.active_count() > 1:
        pytest.skip("other threads run in this test process: publish would not fork")
    assert publish_mod.report_processes(run, 3) == 3
    one = _run(run, tmp_path / "one", 1)
    three = _run(run, tmp_path / "three", 3)
    assert _files(one) == _files(three)
    public = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    bundles = [b for b in three.iterdir() if b.is_dir()]
    assert len(bundles) == 5
    assert all(verify_bundle(b, public).ok for b in bundles)


def test_a_failing_report_worker_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publish_mod, "PARALLEL_MIN_FINDINGS", 1)
    real = publish_mod.write_operator_bundle

    def broken(run_dir: Path, templates: Path, result: RunResult, operator: str, **kw: Any) -> Path:
        if operator == "unicom":
            raise ReportError("unicom: disk full")
        return real(run_dir, templates, result, operator, **kw)

    monkeypatch.setattr(publish_mod, "write_operator_bundle", broken)
    run = build(30)
    with pytest.raises(ReportError, match="unicom: disk full"):
        _run(run, tmp_path, 3)
    assert not any(tmp_path.iterdir())  # the partial run folder is gone


def test_small_runs_stay_in_one_process(result: RunResult) -> None:
    assert publish_mod.report_processes(result) == 1
    assert publish_mod.split_work({"a": 1, "b": 9}, 1) == [["a", "b"]]


def test_a_format_needs_something_to_render() -> None:
    from secaudit.report.formats import BuiltinFormat

    with pytest.raises(ReportError, match="needs a renderer or a writer"):
        BuiltinFormat("txt", "report.txt")
    parts = BuiltinFormat("txt", "report.txt", writer=lambda r: [b"a", b"b"])
    assert parts.render(operator_report(build(3), "telecom")) == b"ab"

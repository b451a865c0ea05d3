"""``junit.xml``: one operator's findings as JUnit XML, for CI dashboards and test-report viewers.

Layout: ``<testsuites>`` holding one ``<testsuite name="<host>">`` per host (sorted), each with
one ``<testcase classname="<host>" name="<control_id> <title>">`` per finding (sorted by control).

Status mapping (JUnit has only pass, failure, error and skipped):

* ``pass``: a passing test case;
* ``fail``: ``<failure>``; the body holds observed lines, expected state, remediation, evidence;
* ``fail`` covered by an **active** waiver: ``<skipped message="waived: <ticket>">``. A waived
  failure is an accepted risk, not a regression, and must not turn a CI gate red; it is not a
  pass either, so it is counted as skipped, where viewers still list it. An expired or lapsed
  waiver does not waive: the finding stays a ``<failure>`` and the message says why;
* ``error`` and ``not_collected``: ``<error>`` (the control could not be checked; waivers do not
  cover bad evidence);
* ``not_applicable``: ``<skipped/>``; ``manual``: ``<skipped message="manual">``;
* ``warn``: passes, with a ``<system-out>`` that notes the warning.

The tree is built with :mod:`xml.etree.ElementTree` (which escapes ``& < > "`` and line breaks in
attributes); characters that XML 1.0 forbids are removed from every string first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC

from secaudit.errors import ReportError
from secaudit.models.enums import Status
from secaudit.models.finding import Finding, RunResult

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """``value`` as a string with the characters XML 1.0 forbids removed.

    Examples:
        >>> xml_text("bell\\x07 and nul\\x00 gone, tab\\tkept")
        'bell and nul gone, tab\\tkept'
        >>> xml_text(None)
        ''
    """
    return "" if value is None else _XML_ILLEGAL.sub("", str(value))


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text:
        el.text = xml_text(text)
    return el


def _details(f: Finding) -> str:
    parts = [f.message]
    if f.observed:
        parts.append("observed:\n" + "\n".join(f.observed))
    if f.expected:
        parts.append("expected: " + f.expected)
    if f.remediation:
        parts.append("remediation:\n" + "\n".join(f.remediation))
    if f.waiver is not None:
        parts.append(
            f"waiver {f.waiver.ticket} ({f.waiver.state}; {f.waiver.approver}; "
            f"expires {f.waiver.expires.isoformat()}): {f.waiver.justification}"
        )
    if f.evidence:
        parts.append(
            "evidence:\n"
            + "\n".join(
                f"{e.command} ({e.state.value})" + (f" sha256={e.sha256}" if e.sha256 else "")
                for e in f.evidence
            )
        )
    return "\n\n".join(parts)


def _testcase(suite: ET.Element, f: Finding) -> str:
    """Append one test case; returns its outcome: pass, failure, error or skipped."""
    case = _el(suite, "testcase", classname=f.host, name=f"{f.control_id} {f.title}", time="0")
    if f.status is Status.FAIL and f.waived:
        ticket = f.waiver.ticket if f.waiver else ""
        _el(case, "skipped", _details(f), message=f"waived: {ticket}")
        return "skipped"
    if f.status is Status.FAIL:
        message = f.message
        if f.waiver is not None:
            message += f" (waiver {f.waiver.ticket} {f.waiver.state}: not waived)"
        _el(case, "failure", _details(f), message=message, type=f"{f.severity.value}")
        return "failure"
    if f.status in (Status.ERROR, Status.NOT_COLLECTED):
        _el(case, "error", _details(f), message=f.message, type=f.status.value)
        return "error"
    if f.status is Status.NOT_APPLICABLE:
        _el(case, "skipped")
        _el(case, "system-out", f.message)
        return "skipped"
    if f.status is Status.MANUAL:
        _el(case, "skipped", _details(f), message="manual")
        return "skipped"
    if f.status is Status.WARN:
        _el(case, "system-out", "WARNING: " + _details(f))
    return "pass"


def _suite(
    root: ET.Element, result: RunResult, operator: str, host: str, findings: Iterable[Finding]
) -> None:
    items = list(findings)
    # JUnit's timestamp is an ISO 8601 date-time without zone; secaudit times are UTC.
    started = result.run.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    suite = _el(root, "testsuite", name=host, timestamp=started)
    props = _el(suite, "properties")
    target = next((t for t in result.targets if t.name == host), None)
    values = {"operator": operator, "run_id": result.run.id, "profile": result.run.profile}
    if target is not None:
        values |= {"platform": target.platform.value, "role": target.role.value, "site": target.site}
    for key in sorted(values):
        _el(props, "property", name=key, value=values[key])
    outcomes = [_testcase(suite, f) for f in items]
    suite.set("tests", str(len(items)))
    suite.set("failures", str(outcomes.count("failure")))
    suite.set("errors", str(outcomes.count("error")))
    suite.set("skipped", str(outcomes.count("skipped")))
    suite.set("time", "0")


def render_junit(result: RunResult, operator: str) -> bytes:
    """Render ``junit.xml`` for ``operator`` (UTF-8, XML declaration, indented, sorted)."""
    if operator not in result.operators:
        raise ReportError(f"operator {operator!r} is not in this run")
    findings = sorted(
        (f for f in result.findings if f.operator == operator),
        key=lambda f: (f.host, f.control_id, f.fingerprint),
    )
    root = ET.Element("testsuites", {"name": xml_text(f"secaudit {operator} {result.run.id}")})
    for host in sorted({f.host for f in findings}):
        _suite(root, result, operator, host, (f for f in findings if f.host == host))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root.iter("testsuite"))))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"

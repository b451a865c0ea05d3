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

The XML is written directly, byte for byte as :mod:`xml.etree.ElementTree` writes the same tree
after ``ET.indent`` (a test keeps the two equal): ``& < >`` escaped in text, ``& < > "`` and
tab, CR and LF as character references in attributes, empty elements as ``<tag />``, two spaces
per level. Building the tree and indenting it took most of the time of a large report.
Characters that XML 1.0 forbids are removed from every string first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC

from secaudit.errors import ReportError
from secaudit.models.enums import Status
from secaudit.models.finding import Finding, RunResult
from secaudit.report.base import OperatorReport, operator_report

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


def xml_attr(value: str) -> str:
    """Escape an attribute value as ElementTree does (``& < > "``, tab, CR and LF as references).

    Examples:
        >>> xml_attr('a<b & "c"\\nd')
        'a&lt;b &amp; &quot;c&quot;&#10;d'
    """
    value = xml_cdata(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def xml_cdata(value: str) -> str:
    """Escape character data as ElementTree does (``& < >``).

    Examples:
        >>> xml_cdata("if a < b && c > d")
        'if a &lt; b &amp;&amp; c &gt; d'
    """
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _el(tag: str, text: str | None = None, **attrs: str) -> str:
    """A childless element: ``<tag a="v">text</tag>``, or ``<tag a="v" />`` without text."""
    head = "<" + tag + "".join(f' {k}="{xml_attr(xml_text(v))}"' for k, v in attrs.items())
    body = xml_text(text) if text else ""
    return f"{head}>{xml_cdata(body)}</{tag}>" if body else head + " />"


def _parent(tag: str, attrs: dict[str, str], children: list[str], level: int) -> str:
    """An element holding ``children`` (already written), indented at ``level`` as ``ET.indent`` does."""
    head = "<" + tag + "".join(f' {k}="{xml_attr(v)}"' for k, v in attrs.items())
    if not children:
        return head + " />"
    inner = "\n" + "  " * (level + 1)
    return head + ">" + inner + inner.join(children) + "\n" + "  " * level + f"</{tag}>"


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


def _testcase(f: Finding) -> tuple[str, str]:
    """One test case (at level 2) and its outcome: pass, failure, error or skipped."""
    attrs = {"classname": xml_text(f.host), "name": xml_text(f"{f.control_id} {f.title}"), "time": "0"}
    children: list[str] = []
    outcome = "pass"
    if f.status is Status.FAIL and f.waived:
        ticket = f.waiver.ticket if f.waiver else ""
        children.append(_el("skipped", _details(f), message=f"waived: {ticket}"))
        outcome = "skipped"
    elif f.status is Status.FAIL:
        message = f.message
        if f.waiver is not None:
            message += f" (waiver {f.waiver.ticket} {f.waiver.state}: not waived)"
        children.append(_el("failure", _details(f), message=message, type=f"{f.severity.value}"))
        outcome = "failure"
    elif f.status in (Status.ERROR, Status.NOT_COLLECTED):
        children.append(_el("error", _details(f), message=f.message, type=f.status.value))
        outcome = "error"
    elif f.status is Status.NOT_APPLICABLE:
        children.append(_el("skipped"))
        children.append(_el("system-out", f.message))
        outcome = "skipped"
    elif f.status is Status.MANUAL:
        children.append(_el("skipped", _details(f), message="manual"))
        outcome = "skipped"
    elif f.status is Status.WARN:
        children.append(_el("system-out", "WARNING: " + _details(f)))
    return _parent("testcase", attrs, children, 2), outcome


def _suite(report: OperatorReport, host: str, items: list[Finding]) -> tuple[str, dict[str, int]]:
    """One ``<testsuite>`` (at level 1) and its counts."""
    result = report.result
    # JUnit's timestamp is an ISO 8601 date-time without zone; secaudit times are UTC.
    started = result.run.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    target = report.target_by_name.get(host)
    values = {"operator": report.operator, "run_id": result.run.id, "profile": result.run.profile}
    if target is not None:
        values |= {"platform": target.platform.value, "role": target.role.value, "site": target.site}
    props = [_el("property", name=key, value=values[key]) for key in sorted(values)]
    children = [_parent("properties", {}, props, 2)]
    outcomes: list[str] = []
    for f in items:
        case, outcome = _testcase(f)
        children.append(case)
        outcomes.append(outcome)
    counts = {
        "tests": len(items),
        "failures": outcomes.count("failure"),
        "errors": outcomes.count("error"),
        "skipped": outcomes.count("skipped"),
    }
    attrs = {
        "name": xml_text(host),
        "timestamp": started,
        **{k: str(v) for k, v in counts.items()},
        "time": "0",
    }
    return _parent("testsuite", attrs, children, 1), counts


def junit_chunks(report: OperatorReport) -> Iterator[bytes]:
    """``junit.xml`` of ``report`` (UTF-8, XML declaration, indented, sorted)."""
    if report.operator not in report.result.operators:
        raise ReportError(f"operator {report.operator!r} is not in this run")
    by_host: dict[str, list[Finding]] = {}
    for f in report.sorted_findings:
        by_host.setdefault(f.host, []).append(f)
    suites: list[str] = []
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for host in sorted(by_host):
        suite, counts = _suite(report, host, by_host[host])
        suites.append(suite)
        for key, n in counts.items():
            totals[key] += n
    attrs = {"name": xml_text(f"secaudit {report.operator} {report.result.run.id}")}
    attrs |= {k: str(v) for k, v in totals.items()}
    root = _parent("testsuites", attrs, suites, 0)
    yield ("<?xml version='1.0' encoding='utf-8'?>\n" + root + "\n").encode("utf-8")


def render_junit(result: RunResult, operator: str) -> bytes:
    """Render ``junit.xml`` for ``operator`` (UTF-8, XML declaration, indented, sorted)."""
    return b"".join(junit_chunks(operator_report(result, operator)))

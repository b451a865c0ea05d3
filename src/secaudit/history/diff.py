"""Compare two recorded runs finding by finding (matched on the stable ``fingerprint``).

Definitions (``failing`` is status ``fail``; with ``include_errors=True`` also ``error``, so an
audit that could not judge a host counts as failing it). "Earlier" means any recorded run that
started before run B (runs are ordered by ``(started_at, id)``), whether before or after A; a
pruned run no longer counts. The first rule that holds decides:

``waiver_expired``
    waived in A (active waiver), and in B not waived because the waiver is ``expired`` or
    ``lapsed`` (evidence digest changed). Comes first: it needs a decision whatever the status.
``still_failing``
    failing in A and in B.
``fixed``
    failing in A, ``pass`` or ``warn`` in B: a proven improvement.
``unverified``
    failing in A, but B cannot show a fix: absent, ``error``, ``not_collected``, ``manual`` or
    ``not_applicable`` (broken evidence is never a fix).
``regressed``
    failing in B, not failing (or absent) in A, and failing in an earlier run.
``new``
    failing in B and in no earlier run: the first time this finding fails.
``not_failing``
    failing in neither run (statuses may still differ, e.g. ``pass`` to ``error``).

Each entry also carries ``first_seen`` (start time of the first run in which the fingerprint was
failing, ``None`` if never) and ``last_changed`` (start time of the last run whose status for the
fingerprint differs from its previous recorded status; the first recording counts as a change).
Both look at the runs up to the later of A and B.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime
from rich.table import Table
from rich.text import Text

from secaudit.history.store import HistoryStore, RunRow, lookup_run
from secaudit.models.base import Frozen
from secaudit.models.enums import SEVERITY_ORDER, Severity, Status


class DiffKind(StrEnum):
    """How a finding changed between run A and run B (most urgent first)."""

    NEW = "new"
    REGRESSED = "regressed"
    WAIVER_EXPIRED = "waiver_expired"
    STILL_FAILING = "still_failing"
    UNVERIFIED = "unverified"
    FIXED = "fixed"
    NOT_FAILING = "not_failing"


_KIND_ORDER = {k: i for i, k in enumerate(DiffKind)}
_FIXED_STATUSES = frozenset({Status.PASS, Status.WARN})
_LAPSED_WAIVERS = frozenset({"expired", "lapsed"})


def is_failing(status: Status | None, *, include_errors: bool = False) -> bool:
    """``fail`` (and ``error`` when ``include_errors``) counts as failing; absence does not.

    Examples:
        >>> is_failing(Status.FAIL), is_failing(Status.ERROR), is_failing(Status.ERROR, include_errors=True)
        (True, False, True)
        >>> is_failing(None)
        False
    """
    return status is Status.FAIL or (include_errors and status is Status.ERROR)


def classify(
    status_a: Status | None,
    status_b: Status | None,
    *,
    waived_a: bool = False,
    waived_b: bool = False,
    waiver_b: str | None = None,
    failed_earlier: bool = False,
    include_errors: bool = False,
) -> DiffKind:
    """The diff class of one fingerprint (rules in the module docstring). ``None``: absent.

    Examples:
        >>> classify(Status.PASS, Status.FAIL)
        <DiffKind.NEW: 'new'>
        >>> classify(Status.PASS, Status.FAIL, failed_earlier=True)
        <DiffKind.REGRESSED: 'regressed'>
        >>> classify(Status.FAIL, Status.PASS), classify(Status.FAIL, Status.ERROR)
        (<DiffKind.FIXED: 'fixed'>, <DiffKind.UNVERIFIED: 'unverified'>)
        >>> classify(Status.FAIL, Status.ERROR, include_errors=True)
        <DiffKind.STILL_FAILING: 'still_failing'>
        >>> classify(Status.FAIL, Status.FAIL, waived_a=True, waiver_b="expired")
        <DiffKind.WAIVER_EXPIRED: 'waiver_expired'>
        >>> classify(Status.PASS, Status.ERROR)
        <DiffKind.NOT_FAILING: 'not_failing'>
    """
    failing_a = is_failing(status_a, include_errors=include_errors)
    failing_b = is_failing(status_b, include_errors=include_errors)
    if waived_a and status_b is not None and not waived_b and waiver_b in _LAPSED_WAIVERS:
        return DiffKind.WAIVER_EXPIRED
    if failing_a and failing_b:
        return DiffKind.STILL_FAILING
    if failing_a:
        return DiffKind.FIXED if status_b in _FIXED_STATUSES else DiffKind.UNVERIFIED
    if failing_b:
        return DiffKind.REGRESSED if failed_earlier else DiffKind.NEW
    return DiffKind.NOT_FAILING


class DiffEntry(Frozen):
    """One fingerprint's change. ``status_*``/``waiver_*`` are ``None`` when absent from that run."""

    kind: DiffKind
    fingerprint: str
    control_id: str
    host: str
    operator: str
    severity: Severity
    status_a: Status | None
    status_b: Status | None
    waiver_a: str | None = None
    waiver_b: str | None = None
    first_seen: AwareDatetime | None = None
    last_changed: AwareDatetime | None = None


class DiffReport(Frozen):
    """Every fingerprint present in run A or run B, classified; entries sorted by urgency."""

    run_a: RunRow
    run_b: RunRow
    include_errors: bool
    entries: tuple[DiffEntry, ...]

    def counts(self) -> dict[str, int]:
        """Entries per kind, every kind present (zeros included), in :class:`DiffKind` order."""
        counts = dict.fromkeys((k.value for k in DiffKind), 0)
        for e in self.entries:
            counts[e.kind.value] += 1
        return counts

    def of(self, kind: DiffKind) -> tuple[DiffEntry, ...]:
        """The entries of one kind."""
        return tuple(e for e in self.entries if e.kind is kind)


def _sort_key(e: DiffEntry) -> tuple[int, int, str, str, str, str]:
    return (_KIND_ORDER[e.kind], SEVERITY_ORDER[e.severity], e.control_id, e.host, e.operator, e.fingerprint)


_FINDING_COLUMNS = "fingerprint, control_id, host, operator, severity, status, waived, waiver_state"


def diff(
    store: HistoryStore, run_a: str, run_b: str, *, include_errors: bool = False, fleet: str | None = None
) -> DiffReport:
    """Diff two runs given as references (id, unique prefix, ``latest``, ``previous``, ``latest~N``).

    With ``fleet``, ``latest``, ``previous`` and ``latest~N`` count only that fleet's runs.

    ``include_errors=False`` (default): only ``fail`` is failing, so a host that errored is
    ``unverified``/``not_failing`` rather than a failure. ``True``: ``error`` counts as failing
    too, for gates where "could not check" must be treated as "not compliant".
    """
    with store.snapshot() as conn:
        row_a, row_b = lookup_run(conn, run_a, fleet=fleet), lookup_run(conn, run_b, fleet=fleet)
        upper = max((row_a["started_at"], row_a["id"]), (row_b["started_at"], row_b["id"]))
        key_b = (row_b["started_at"], row_b["id"])
        a = _findings(conn, row_a["id"])
        b = _findings(conn, row_b["id"])
        failing = (Status.FAIL.value, Status.ERROR.value) if include_errors else (Status.FAIL.value,)
        first_seen: dict[str, str] = {}
        failed_before_b: set[str] = set()
        last_changed: dict[str, str] = {}
        previous: dict[str, str] = {}
        wanted = a.keys() | b.keys()
        # one pass over the runs up to the later of A and B, oldest first; each run's rows are
        # read in primary-key order (findings are clustered by run)
        for run_id, started_at in conn.execute(
            "SELECT id, started_at FROM runs WHERE started_at < ? OR (started_at = ? AND id <= ?) "
            "ORDER BY started_at, id",
            (upper[0], upper[0], upper[1]),
        ).fetchall():
            before_b = (started_at, run_id) < key_b
            for fp, status in conn.execute(
                "SELECT fingerprint, status FROM findings WHERE run_id = ?", (run_id,)
            ).fetchall():
                if fp not in wanted:
                    continue
                if status in failing:
                    first_seen.setdefault(fp, started_at)
                    if before_b:
                        failed_before_b.add(fp)
                if previous.get(fp) != status:
                    last_changed[fp] = started_at
                    previous[fp] = status
    entries = []
    for fp in sorted(a.keys() | b.keys()):
        fa, fb = a.get(fp), b.get(fp)
        ref = fb if fb is not None else a[fp]
        status_a = Status(fa["status"]) if fa is not None else None
        status_b = Status(fb["status"]) if fb is not None else None
        entries.append(
            DiffEntry(
                kind=classify(
                    status_a,
                    status_b,
                    waived_a=bool(fa is not None and fa["waived"]),
                    waived_b=bool(fb is not None and fb["waived"]),
                    waiver_b=fb["waiver_state"] if fb is not None else None,
                    failed_earlier=fp in failed_before_b,
                    include_errors=include_errors,
                ),
                fingerprint=fp,
                control_id=ref["control_id"],
                host=ref["host"],
                operator=ref["operator"],
                severity=Severity(ref["severity"]),
                status_a=status_a,
                status_b=status_b,
                waiver_a=fa["waiver_state"] if fa is not None else None,
                waiver_b=fb["waiver_state"] if fb is not None else None,
                first_seen=_parse(first_seen.get(fp)),
                last_changed=_parse(last_changed.get(fp)),
            )
        )
    return DiffReport(
        run_a=RunRow.model_validate(dict(row_a)),
        run_b=RunRow.model_validate(dict(row_b)),
        include_errors=include_errors,
        entries=tuple(sorted(entries, key=_sort_key)),
    )


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _findings(conn: sqlite3.Connection, run_id: str) -> dict[str, sqlite3.Row]:
    rows = conn.execute(
        f"SELECT {_FINDING_COLUMNS} FROM findings WHERE run_id = ?",  # noqa: S608 - constant columns
        (run_id,),
    ).fetchall()
    return {r["fingerprint"]: r for r in rows}


# -- renderers ---------------------------------------------------------------------------------


def _shown(report: DiffReport, show_all: bool) -> list[DiffEntry]:
    """Entries worth listing: all but ``not_failing`` ones (failing in neither run), unless ``show_all``."""
    return [e for e in report.entries if show_all or e.kind is not DiffKind.NOT_FAILING]


def parse_kinds(text: str) -> frozenset[DiffKind]:
    """A comma-separated list of diff kinds (``--fail-on new,regressed``).

    Examples:
        >>> sorted(parse_kinds("new, regressed"))
        [<DiffKind.NEW: 'new'>, <DiffKind.REGRESSED: 'regressed'>]
        >>> parse_kinds("new,broken")
        Traceback (most recent call last):
        ...
        ValueError: unknown change kind 'broken' (known: new, regressed, waiver_expired, ...)
    """
    kinds = set()
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        try:
            kinds.add(DiffKind(word))
        except ValueError:
            known = ", ".join(k.value for k in DiffKind)
            raise ValueError(f"unknown change kind {word!r} (known: {known})") from None
    return frozenset(kinds)


def status_label(status: Status | None, waiver: str | None) -> str:
    """A status with its waiver state, as the renderers show it.

    Examples:
        >>> status_label(Status.FAIL, "active"), status_label(Status.FAIL, "expired")
        ('fail (waived)', 'fail (waiver expired)')
        >>> status_label(None, None)
        '-'
    """
    if status is None:
        return "-"
    if waiver == "active":
        return f"{status.value} (waived)"
    if waiver is not None:
        return f"{status.value} (waiver {waiver})"
    return status.value


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%MZ")


_ENTRY_COLUMNS = ("severity", "control", "host", "operator", "A", "B", "first seen", "last changed")


def _entry_cells(e: DiffEntry) -> tuple[str, ...]:
    """One entry's cells under :data:`_ENTRY_COLUMNS`, shared by the table and the Markdown."""
    return (
        e.severity.value,
        e.control_id,
        e.host,
        e.operator,
        status_label(e.status_a, e.waiver_a),
        status_label(e.status_b, e.waiver_b),
        _when(e.first_seen),
        _when(e.last_changed),
    )


def _counts_line(report: DiffReport) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in report.counts().items())


def diff_table(report: DiffReport, *, show_all: bool = False) -> Table:
    """A rich table of the changes (``not_failing`` rows hidden unless ``show_all``).

    Cells are :class:`rich.text.Text`, so ``[`` in a host or message is never read as markup.
    """
    shown = _shown(report, show_all)
    hidden = len(report.entries) - len(shown)
    note = f" ({hidden} not_failing rows hidden: --show-not-failing lists them)" if hidden else ""
    table = Table(
        title=Text(f"secaudit diff {report.run_a.id} -> {report.run_b.id}"),
        caption=Text(_counts_line(report) + note),
    )
    for col in ("change", *_ENTRY_COLUMNS):
        table.add_column(col)
    for e in shown:
        table.add_row(*(Text(cell) for cell in (e.kind.value, *_entry_cells(e))))
    return table


def diff_json(report: DiffReport, *, show_all: bool = True) -> str:
    """Stable JSON (sorted keys, entries in report order, trailing newline); ``counts`` covers
    every entry, ``entries`` leaves ``not_failing`` ones out unless ``show_all``.

    ``recorded_at`` is left out so the output depends only on the runs themselves.
    """
    document = {
        "run_a": report.run_a.model_dump(mode="json", exclude={"recorded_at"}),
        "run_b": report.run_b.model_dump(mode="json", exclude={"recorded_at"}),
        "include_errors": report.include_errors,
        "counts": report.counts(),
        "entries": [e.model_dump(mode="json") for e in _shown(report, show_all)],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


_MD_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "\n": " ",
        "\r": " ",
    }
)


def md_cell(text: str) -> str:
    """Text made safe for one Markdown table cell (no markup, no raw HTML, no line breaks).

    Examples:
        >>> md_cell("a|b <script> *x*_y")
        'a\\\\|b &lt;script&gt; \\\\*x\\\\*\\\\_y'
    """
    return text.translate(_MD_SPECIAL)


def _md_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows)
    return lines


def diff_markdown(report: DiffReport, *, show_all: bool = False) -> str:
    """A Markdown summary plus one table per kind (``not_failing`` rows hidden unless ``show_all``)."""
    a, b = report.run_a, report.run_b
    lines = [f"# secaudit diff {md_cell(a.id)} → {md_cell(b.id)}", ""]
    lines += _md_table(
        ("run", "id", "started (UTC)", "profile", "source"),
        ((label, r.id, _when(r.started_at), r.profile, r.source.value) for label, r in (("A", a), ("B", b))),
    )
    failing = "fail and error" if report.include_errors else "fail"
    lines += ["", f"Failing means status {failing}.", "", "## Summary", ""]
    lines += _md_table(("change", "findings"), ((k, str(n)) for k, n in report.counts().items()))
    shown = _shown(report, show_all)
    for kind in DiffKind:
        entries = [e for e in shown if e.kind is kind]
        if not entries:
            continue
        lines += ["", f"## {kind.value} ({len(entries)})", ""]
        lines += _md_table(_ENTRY_COLUMNS, (_entry_cells(e) for e in entries))
    return "\n".join(lines) + "\n"

"""Trends over recorded runs: per-run roll-ups and a self-contained SVG line chart.

Points come oldest first (a chart reads left to right). Scores follow
:func:`secaudit.report.summary.score` exactly (manual and not_applicable left out, warn counts
half, error and not_collected count as not passing); the tests check they agree.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import NamedTuple
from xml.sax.saxutils import escape

from pydantic import AwareDatetime

from secaudit.history.store import HistoryError, HistoryStore
from secaudit.models.base import Frozen
from secaudit.models.enums import Status

#: Which status stands for a host+control in a run when several findings share it (locators).
_WORST_FIRST = (
    Status.FAIL,
    Status.ERROR,
    Status.NOT_COLLECTED,
    Status.WARN,
    Status.MANUAL,
    Status.PASS,
    Status.NOT_APPLICABLE,
)


class HistoryPoint(Frozen):
    """Roll-up of one run's findings (filtered by host and/or control).

    ``status`` is set only when both host and control were given: that finding's status in the
    run (the worst one if a locator splits it), ``None`` when it was absent.
    """

    run_id: str
    started_at: AwareDatetime
    counts: dict[str, int]
    score: float | None
    score_with_waivers: float | None
    status: Status | None = None


class TrendPoint(NamedTuple):
    """One run on a trend chart: ``(run_id, started_at, score, score_with_waivers, fails)``."""

    run_id: str
    started_at: datetime
    score: float | None
    score_with_waivers: float | None
    fails: int


def rollup_score(groups: Iterable[tuple[Status, bool, int]], *, with_waivers: bool = False) -> float | None:
    """:func:`secaudit.report.summary.score` over ``(status, waived, count)`` groups.

    Examples:
        >>> rollup_score([(Status.PASS, False, 1), (Status.WARN, False, 1), (Status.MANUAL, False, 5)])
        75.0
        >>> rollup_score([(Status.FAIL, True, 1)]), rollup_score([(Status.FAIL, True, 1)], with_waivers=True)
        (0.0, 100.0)
        >>> rollup_score([]) is None
        True
    """
    total = 0.0
    got = 0.0
    for status, waived, n in groups:
        if status in (Status.MANUAL, Status.NOT_APPLICABLE):
            continue
        total += n
        if status is Status.PASS or (with_waivers and waived):
            got += n
        elif status is Status.WARN:
            got += 0.5 * n
    return None if total == 0 else round(100.0 * got / total, 1)


class _Rollup(NamedTuple):
    run_id: str
    started_at: datetime
    groups: list[tuple[Status, bool, int]]


def _rollups(
    store: HistoryStore, *, host: str | None, control: str | None, operator: str | None, limit: int
) -> list[_Rollup]:
    """Status/waived counts per run for the newest ``limit`` runs, oldest first."""
    if limit < 0:
        raise HistoryError(f"limit must be 0 or more, not {limit}")
    with store.snapshot() as conn:
        rows = conn.execute(
            "WITH recent AS (SELECT id, started_at FROM runs ORDER BY started_at DESC, id DESC LIMIT :limit) "
            "SELECT recent.id, recent.started_at, f.status, f.waived, COUNT(f.fingerprint) "
            "FROM recent LEFT JOIN findings f ON f.run_id = recent.id "
            "AND (:host IS NULL OR f.host = :host) "
            "AND (:control IS NULL OR f.control_id = :control) "
            "AND (:operator IS NULL OR f.operator = :operator) "
            "GROUP BY recent.id, recent.started_at, f.status, f.waived "
            "ORDER BY recent.started_at, recent.id, f.status, f.waived",
            {"limit": limit, "host": host, "control": control, "operator": operator},
        ).fetchall()
    out: list[_Rollup] = []
    for run_id, started_at, status, waived, n in rows:
        if not out or out[-1].run_id != run_id:
            out.append(_Rollup(run_id, datetime.fromisoformat(started_at), []))
        if status is not None:
            out[-1].groups.append((Status(status), bool(waived), n))
    return out


def history_for(
    store: HistoryStore, host: str | None = None, control: str | None = None, limit: int = 20
) -> list[HistoryPoint]:
    """Per-run status counts and scores of the newest ``limit`` runs, oldest first.

    ``host`` and ``control`` (a control id) filter the findings; every run in the window gives a
    point, with zero counts and ``None`` scores where nothing matched. With both given, each
    point's ``status`` is that finding's status, so ``[p.status for p in points]`` is its sequence.
    """
    points = []
    for r in _rollups(store, host=host, control=control, operator=None, limit=limit):
        counts = dict.fromkeys((s.value for s in Status), 0)
        for status, _waived, n in r.groups:
            counts[status.value] += n
        status_now = None
        if host is not None and control is not None:
            status_now = next((s for s in _WORST_FIRST if counts[s.value]), None)
        points.append(
            HistoryPoint(
                run_id=r.run_id,
                started_at=r.started_at,
                counts=counts,
                score=rollup_score(r.groups),
                score_with_waivers=rollup_score(r.groups, with_waivers=True),
                status=status_now,
            )
        )
    return points


def trend_points(store: HistoryStore, operator: str | None = None, limit: int = 20) -> list[TrendPoint]:
    """Scores and fail counts (waived fails included) of the newest ``limit`` runs, oldest first.

    ``operator`` limits the findings to one operator; ``None`` is the whole run (the city view).
    A run with nothing scorable has ``None`` scores.
    """
    return [
        TrendPoint(
            r.run_id,
            r.started_at,
            rollup_score(r.groups),
            rollup_score(r.groups, with_waivers=True),
            sum(n for status, _waived, n in r.groups if status is Status.FAIL),
        )
        for r in _rollups(store, host=None, control=None, operator=operator, limit=limit)
    ]


# -- SVG ---------------------------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 16, 32, 44
_LABEL_WIDTH = 36  # px one "MM-DD" tick label needs
#: The chart's own labels: ``trend_svg(translate=...)`` translates these (the zh-CN catalogue has them).
CHART_LABELS = ("score", "with waivers", "fails", "Score (%)", "Run start date (UTC)", "No runs recorded")
_SCORE_COLOUR = "#1f5fa8"
_WAIVED_COLOUR = "#8a8a8a"


def xml_text(value: object) -> str:
    """Text safe inside an XML element or a double-quoted attribute (invalid characters dropped).

    Examples:
        >>> xml_text('<a href="x">&\\x00')
        '&lt;a href=&quot;x&quot;&gt;&amp;'
    """
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;"})


def _num(value: float) -> str:
    return f"{value:.1f}"


def _score_text(value: float | None) -> str:
    return "no score" if value is None else f"{value:.1f}"


def _describe(points: Sequence[TrendPoint]) -> str:
    if not points:
        return "No runs recorded."
    first, last = points[0], points[-1]
    scores = [p.score for p in points if p.score is not None]
    text = (
        f"{len(points)} runs from {first.started_at:%Y-%m-%d} to {last.started_at:%Y-%m-%d} (UTC). "
        f"Latest run {last.run_id}: score {_score_text(last.score)}, "
        f"{_score_text(last.score_with_waivers)} with waivers, {last.fails} fails."
    )
    if scores:
        text += f" Lowest score {min(scores):.1f}, highest {max(scores):.1f}."
    return text


def _paths(coords: Sequence[tuple[float, float] | None]) -> list[str]:
    """``d`` attributes of the line through the points, broken where a point has no score."""
    paths: list[str] = []
    segment: list[str] = []
    for c in [*coords, None]:
        if c is None:
            if len(segment) > 1:
                paths.append("M" + " L".join(segment))
            segment = []
        else:
            segment.append(f"{_num(c[0])},{_num(c[1])}")
    return paths


def trend_svg(
    points: Sequence[TrendPoint],
    width: int = 640,
    height: int = 200,
    title: str = "Compliance score",
    translate: Callable[[str], str] | None = None,
) -> str:
    """An inline SVG line chart of scores (0-100) per run: no scripts, styles or external assets.

    ``translate`` turns the chart's English labels (legend, axes, "No runs recorded") into the
    report's language (the report's gettext, see :data:`CHART_LABELS`); without it they stay English.

    One marker (``<circle>`` with a ``<title>`` tooltip) per run with a score; the solid line is
    the score, the dashed line the score with waivers. A run without a score keeps its slot on
    the x axis but has no marker and breaks the lines. Output depends only on the arguments.
    Every text is XML-escaped, so the string can be placed in HTML as is (in Jinja2: ``|safe``
    or ``Markup``).
    """
    if width < 200 or height < 120:
        raise HistoryError(f"trend chart too small: {width}x{height} (needs at least 200x120)")
    tr = translate or str
    plot_w = width - _LEFT - _RIGHT
    plot_h = height - _TOP - _BOTTOM
    n = len(points)
    uid = "trend-" + hashlib.sha256(repr((title, width, height, tuple(points))).encode()).hexdigest()[:10]

    def x_at(i: int) -> float:
        return _LEFT + plot_w * (i + 0.5) / n

    def y_at(value: float) -> float:
        return _TOP + plot_h * (1 - min(max(value, 0.0), 100.0) / 100.0)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-title {uid}-desc" '
        'font-family="sans-serif" font-size="11">',
        f'<title id="{uid}-title">{xml_text(title)}</title>',
        f'<desc id="{uid}-desc">{xml_text(_describe(points))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_LEFT}" y="18" font-size="13" font-weight="bold">{xml_text(title)}</text>',
    ]
    # legend, top right
    lx = width - _RIGHT - 190
    out += [
        f'<g aria-hidden="true"><line x1="{lx}" y1="14" x2="{lx + 18}" y2="14" stroke="{_SCORE_COLOUR}" '
        'stroke-width="2"/>',
        f'<text x="{lx + 22}" y="18">{xml_text(tr("score"))}</text>',
        f'<line x1="{lx + 70}" y1="14" x2="{lx + 88}" y2="14" stroke="{_WAIVED_COLOUR}" stroke-width="1.5" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{lx + 92}" y="18">{xml_text(tr("with waivers"))}</text></g>',
    ]
    # y axis: gridlines and labels every 25
    for value in range(0, 101, 25):
        y = _num(y_at(value))
        out.append(
            f'<line x1="{_LEFT}" y1="{y}" x2="{width - _RIGHT}" y2="{y}" stroke="#dddddd" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_LEFT - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">{value}</text>'
        )
    mid_y = _num(_TOP + plot_h / 2)
    out.append(
        f'<text x="12" y="{mid_y}" text-anchor="middle" transform="rotate(-90 12 {mid_y})">'
        f"{xml_text(tr('Score (%)'))}</text>"
    )
    base_y = _num(_TOP + plot_h)
    out.append(
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{base_y}" stroke="#444444" stroke-width="1"/>'
    )
    out.append(
        f'<line x1="{_LEFT}" y1="{base_y}" x2="{width - _RIGHT}" y2="{base_y}" stroke="#444444" '
        'stroke-width="1"/>'
    )
    out.append(
        f'<text x="{_num(_LEFT + plot_w / 2)}" y="{height - 6}" text-anchor="middle">'
        f"{xml_text(tr('Run start date (UTC)'))}</text>"
    )
    if n == 0:
        out.append(
            f'<text x="{_num(_LEFT + plot_w / 2)}" y="{mid_y}" text-anchor="middle" fill="#666666">'
            f"{xml_text(tr('No runs recorded'))}</text>"
        )
    else:
        every = max(1, math.ceil(n * _LABEL_WIDTH / plot_w))
        label_y = _num(_TOP + plot_h + 16)
        for i, p in enumerate(points):
            if (n - 1 - i) % every == 0:  # the newest run always has a label
                out.append(
                    f'<text x="{_num(x_at(i))}" y="{label_y}" text-anchor="middle">'
                    f"{xml_text(f'{p.started_at:%m-%d}')}</text>"
                )
        for d in _paths(
            [
                (x_at(i), y_at(p.score_with_waivers)) if p.score_with_waivers is not None else None
                for i, p in enumerate(points)
            ]
        ):
            out.append(
                f'<path d="{d}" fill="none" stroke="{_WAIVED_COLOUR}" stroke-width="1.5" '
                'stroke-dasharray="4 3"/>'
            )
        for d in _paths(
            [(x_at(i), y_at(p.score)) if p.score is not None else None for i, p in enumerate(points)]
        ):
            out.append(f'<path d="{d}" fill="none" stroke="{_SCORE_COLOUR}" stroke-width="2"/>')
        for i, p in enumerate(points):
            if p.score is None:
                continue
            tip = (
                f"{p.run_id} ({p.started_at:%Y-%m-%d %H:%M} UTC): {tr('score')} {p.score:.1f}, "
                f"{tr('with waivers')} {_score_text(p.score_with_waivers)}, {tr('fails')} {p.fails}"
            )
            out.append(
                f'<circle cx="{_num(x_at(i))}" cy="{_num(y_at(p.score))}" r="3" fill="{_SCORE_COLOUR}">'
                f"<title>{xml_text(tip)}</title></circle>"
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"

"""Run history: every run recorded in an embedded SQLite database, diffed and trended.

Record after each run with ``HistoryStore(path).record(result)``; compare two runs with
:func:`diff` and render with :func:`diff_table`, :func:`diff_json` or :func:`diff_markdown`;
follow scores with :func:`history_for`, :func:`trend_points` and :func:`trend_svg`.
"""

from __future__ import annotations

from secaudit.history.diff import DiffEntry, DiffKind, DiffReport, diff, diff_json, diff_markdown, diff_table
from secaudit.history.store import SCHEMA_VERSION, HistoryError, HistoryStore, RunRow, fleet_key, fleet_label
from secaudit.history.trend import HistoryPoint, TrendPoint, history_for, trend_points, trend_svg

#: File name of the history database inside the reports folder (``--db`` default suggestion).
DEFAULT_DB_NAME = "history.sqlite3"

__all__ = [
    "DEFAULT_DB_NAME",
    "SCHEMA_VERSION",
    "DiffEntry",
    "DiffKind",
    "DiffReport",
    "HistoryError",
    "HistoryPoint",
    "HistoryStore",
    "RunRow",
    "TrendPoint",
    "diff",
    "diff_json",
    "diff_markdown",
    "diff_table",
    "fleet_key",
    "fleet_label",
    "history_for",
    "trend_points",
    "trend_svg",
]

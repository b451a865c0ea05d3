"""The ``findings.json`` document (schema: ``schemas/findings.schema.json``) and JSON encoding.

Every JSON file of a bundle is encoded here, byte for byte as
``json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)`` would write it (plus a trailing
newline), except that ``findings.json`` keeps each finding compact on a line of its own. The
standard library encodes indented JSON in pure Python through nested generators; :func:`indented`
writes the same bytes several times faster, and the per-finding lines use the C encoder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import INFINITY, encode_basestring
from pathlib import Path
from typing import Any

from secaudit.models.enums import BLOCKING_STATUSES
from secaudit.models.finding import Finding, RunResult
from secaudit.report.summary import is_compliant, score, status_counts

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "findings.schema.json"

#: Characters per chunk handed to the writer when a document is streamed.
CHUNK_CHARS = 1 << 20

_PLACEHOLDER = "\x00FINDINGS\x00"
# One finding per line: the C encoder, made once (json.dumps builds a new encoder per call).
_LINE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def noncompliant_hosts(findings: Iterable[Finding]) -> set[str]:
    """Hosts with at least one blocking finding (fail, error, not_collected): one pass.

    ``host not in noncompliant_hosts(items)`` equals ``is_compliant(f for f in items if f.host == host)``.

    Examples:
        >>> noncompliant_hosts([])
        set()
    """
    return {f.host for f in findings if f.status in BLOCKING_STATUSES}


def findings_document(
    result: RunResult,
    operator: str | None,
    findings: Iterable[Finding],
    rows: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Build the findings document for one operator (``operator=None``: a whole-run document).

    ``rows`` are the findings already dumped (``model_dump(mode="json")``, same order), when the
    caller has them; they are shared, not copied.
    """
    items = list(findings)
    run = result.run.model_dump(mode="json")
    run["operator"] = operator
    hosts = sorted({f.host for f in items})
    targets = {t.name: t for t in result.targets}
    blocked = noncompliant_hosts(items)
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "summary": {
            "counts": status_counts(items),
            "hosts": len(hosts),
            "compliant": is_compliant(items),
            "score": score(items),
            "score_with_waivers": score(items, with_waivers=True),
        },
        "hosts": [
            {
                "name": t.name,
                "platform": t.platform.value,
                "role": t.role.value,
                "site": t.site,
                "model": t.model,
                "environment": t.environment.value,
                "compliant": t.name not in blocked,
            }
            for t in (targets[h] for h in hosts)
        ],
        "collection": [
            {"host": r.host, "state": r.state.value, "detail": r.detail}
            for r in result.collection
            if operator is None or r.operator == operator
        ],
        "findings": list(rows) if rows is not None else [f.model_dump(mode="json") for f in items],
    }


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN is the one float not equal to itself
        return "NaN"
    if value == INFINITY:
        return "Infinity"
    if value == -INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


_CONTAINERS = (list, tuple, dict)


def _encode(value: object, out: list[str], level: int) -> None:
    """Append the indented encoding of ``value`` (at nesting ``level``) to ``out``."""
    if isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        newline = "\n" + "  " * (level + 1)
        out.append("[" + newline)
        separator = "," + newline
        first = True
        for item in value:
            if first:
                first = False
            else:
                out.append(separator)
            if isinstance(item, _CONTAINERS):
                _encode(item, out, level + 1)
            else:
                out.append(_scalar(item))
        out.append("\n" + "  " * level + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        newline = "\n" + "  " * (level + 1)
        out.append("{" + newline)
        separator = "," + newline
        first = True
        for key in sorted(value):
            item = value[key]
            head = encode_basestring(_key(key)) + ": "
            if first:
                first = False
            else:
                head = separator + head
            if isinstance(item, _CONTAINERS):
                out.append(head)
                _encode(item, out, level + 1)
            else:
                out.append(head + _scalar(item))
        out.append("\n" + "  " * level + "}")
    else:
        out.append(_scalar(value))


def indented(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)``, faster, same text.

    Examples:
        >>> doc = {"b": [1, 2.5, None, True], "a": {"x": "é\\n"}, "c": [], "d": {}}
        >>> indented(doc) == json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)
        True
        >>> print(indented({"k": [1, {}]}))
        {
          "k": [
            1,
            {}
          ]
        }
    """
    out: list[str] = []
    _encode(value, out, 0)
    return "".join(out)


def iter_dumps(document: dict[str, Any], chunk_chars: int = CHUNK_CHARS) -> Iterator[bytes]:
    """:func:`dumps`, as UTF-8 chunks of about ``chunk_chars`` characters (for streaming writes).

    Examples:
        >>> b"".join(iter_dumps({"findings": [{"a": 1}, {"b": 2}]}, chunk_chars=1))
        b'{\\n  "findings": [\\n    {"a": 1},\\n    {"b": 2}\\n  ]\\n}\\n'
    """
    items = document.get("findings")
    if not isinstance(items, list) or not items:
        yield (indented(document) + "\n").encode("utf-8")
        return
    head = {k: v for k, v in document.items() if k != "findings"}
    head["findings"] = [_PLACEHOLDER]
    before, after = indented(head).split('    "\\u0000FINDINGS\\u0000"', 1)
    batch: list[str] = [before]
    size = len(before)
    encode = _LINE.encode
    last = len(items) - 1
    for i, item in enumerate(items):
        line = "    " + encode(item) + (",\n" if i != last else "")
        batch.append(line)
        size += len(line)
        if size >= chunk_chars:
            yield "".join(batch).encode("utf-8")
            batch, size = [], 0
    batch.append(after + "\n")
    yield "".join(batch).encode("utf-8")


def dumps(document: dict[str, Any]) -> bytes:
    """Stable, human-readable JSON bytes: sorted keys, UTF-8, one finding per line.

    Indented JSON goes through Python's slow pure-Python encoder; a run of 1,000 hosts has
    ~30,000 findings, so each finding is encoded compactly (C encoder) on a line of its own.

    Examples:
        >>> print(dumps({"b": 1, "findings": [{"y": 2, "x": 1}]}).decode(), end="")
        {
          "b": 1,
          "findings": [
            {"x": 1, "y": 2}
          ]
        }
    """
    return b"".join(iter_dumps(document))

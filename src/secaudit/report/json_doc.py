"""The ``findings.json`` document (schema: ``schemas/findings.schema.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from secaudit.models.finding import Finding, RunResult
from secaudit.report.summary import is_compliant, score, status_counts

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "findings.schema.json"


def findings_document(result: RunResult, operator: str | None, findings: Iterable[Finding]) -> dict[str, Any]:
    """Build the findings document for one operator (``operator=None``: a whole-run document)."""
    items = list(findings)
    run = result.run.model_dump(mode="json")
    run["operator"] = operator
    hosts = sorted({f.host for f in items})
    targets = {t.name: t for t in result.targets}
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
                "compliant": is_compliant(f for f in items if f.host == t.name),
            }
            for t in (targets[h] for h in hosts)
        ],
        "collection": [
            {"host": r.host, "state": r.state.value, "detail": r.detail}
            for r in result.collection
            if operator is None or r.operator == operator
        ],
        "findings": [f.model_dump(mode="json") for f in items],
    }


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

"""``scan-config`` for CI: JUnit XML and SARIF over scanned files instead of a bundle.

A scan has no inventory, so its hosts belong to one pseudo-operator (:data:`SCAN_OPERATOR`) and
each host is one scanned file. JUnit is the bundle's ``junit.xml`` for that operator. SARIF is the
bundle's ``findings.sarif`` with its locations moved from the evidence store (which a scan does not
write) to the scanned files themselves: ``artifactLocation.uri`` is the file's path relative to
the uriBaseId ``%SRCROOT%`` (the folder the scan ran in; absolute ``file:`` URIs for files outside
it), ``run.artifacts`` lists the files with their SHA-256, and a finding whose observed line is
in the file gets that line as ``region.startLine`` (GitHub code scanning annotates it there). A
finding about something missing has no line; it points at the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secaudit.models.finding import RunResult
from secaudit.models.target import OperatorInfo
from secaudit.report.json_doc import dumps
from secaudit.report.junit import render_junit
from secaudit.report.sarif import sarif_document

#: The operator of every host of a scan (a scan has no inventory).
SCAN_OPERATOR = "unassigned"
#: uriBaseId of scanned files: the folder the scan ran in.
SRCROOT = "%SRCROOT%"


def _with_scan_operator(result: RunResult) -> RunResult:
    info = OperatorInfo(
        id=SCAN_OPERATOR, display_name=SCAN_OPERATOR, display_name_en=SCAN_OPERATOR, lang="en"
    )
    return result.model_copy(update={"operators": {**result.operators, SCAN_OPERATOR: info}})


def file_uri(path: Path, root: Path) -> tuple[str, str | None]:
    """URI of ``path``: relative to ``root`` (with :data:`SRCROOT`) when inside it, else absolute.

    Examples:
        >>> file_uri(Path("/ci/backups/olt 1.cfg"), Path("/ci"))
        ('backups/olt%201.cfg', '%SRCROOT%')
        >>> file_uri(Path("/elsewhere/a.cfg"), Path("/ci"))
        ('file:///elsewhere/a.cfg', None)
    """
    absolute = path.absolute()
    try:
        rel = absolute.relative_to(root.absolute())
    except ValueError:
        return absolute.as_uri(), None
    return Path("/", rel).as_uri().removeprefix("file:///"), SRCROOT


#: A secret the redaction replaced (``<redacted:community>``, ``<redacted:cipher:2>``): any text.
_REDACTED = re.compile(r"<redacted(?::[A-Za-z0-9_-]+)*>")


def first_line(text: str, observed: tuple[str, ...]) -> int | None:
    """1-based number of the first line of ``text`` that an observed line stands for.

    Lines are compared without their leading and trailing blanks; a redacted secret in an
    observed line stands for whatever the file holds there.

    Examples:
        >>> seen = ("snmp-agent community read <redacted:community>",)
        >>> first_line("sysname A\\n snmp-agent community read s3cr3t\\n", seen)
        2
        >>> first_line("sysname A\\n", ("telnet server enable",)) is None
        True
    """
    patterns = [
        re.compile(".+?".join(map(re.escape, _REDACTED.split(line.strip()))))
        for line in observed
        if line.strip()
    ]
    if not patterns:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if any(p.fullmatch(stripped) for p in patterns):
            return number
    return None


def scan_junit(result: RunResult) -> bytes:
    """JUnit XML of a scan: one test suite per scanned file, one test case per control."""
    return render_junit(_with_scan_operator(result), SCAN_OPERATOR)


def scan_sarif_document(result: RunResult, files: Mapping[str, Path], root: Path) -> dict[str, Any]:
    """SARIF of a scan whose host ``h`` was read from ``files[h]``; paths relative to ``root``."""
    doc = sarif_document(_with_scan_operator(result), SCAN_OPERATOR)
    run = doc["runs"][0]
    uris = {host: file_uri(path, root) for host, path in files.items()}
    order = sorted(files, key=lambda h: uris[h][0])
    index = {host: i for i, host in enumerate(order)}
    texts: dict[str, str] = {}
    artifacts = []
    for host in order:
        data = files[host].read_bytes()
        texts[host] = data.decode("utf-8", errors="replace")
        uri, base = uris[host]
        artifacts.append(
            {
                "location": {"uri": uri, **({"uriBaseId": base} if base else {})},
                "hashes": {"sha-256": hashlib.sha256(data).hexdigest()},
            }
        )
    run["artifacts"] = artifacts
    run["originalUriBaseIds"] = {SRCROOT: {"uri": root.absolute().as_uri() + "/"}}
    for item in run["results"]:
        host = item["properties"]["host"]
        item.pop("relatedLocations", None)
        location = item["locations"][0]
        location.pop("physicalLocation", None)
        if host not in files:
            continue
        uri, base = uris[host]
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": uri, "index": index[host], **({"uriBaseId": base} if base else {})}
        }
        line = first_line(texts[host], tuple(item["properties"]["observed"]))
        if line is not None:
            physical["region"] = {"startLine": line}
        location["physicalLocation"] = physical
    return doc


def scan_sarif(result: RunResult, files: Mapping[str, Path], root: Path) -> bytes:
    """:func:`scan_sarif_document` as UTF-8 JSON (sorted keys, trailing newline)."""
    return dumps(scan_sarif_document(result, files, root))

"""HTML rendering with Jinja2: autoescaped, StrictUndefined, self-contained output."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from secaudit.errors import ReportError

LANGS = ("zh-CN", "en")


@cache
def _env(templates_dir: str) -> Environment:
    # Device-supplied strings (banners, descriptions) reach these templates: autoescape always on.
    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def labels(templates_dir: Path, lang: str) -> dict[str, Any]:
    """UI labels for ``lang`` from ``templates/labels/<lang>.json``."""
    if lang not in LANGS:
        raise ReportError(f"unsupported report language {lang!r} (supported: {', '.join(LANGS)})")
    path = templates_dir / "labels" / f"{lang}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot load labels: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: labels must be a JSON object")
    return data


def render(templates_dir: Path, template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` (relative to ``templates_dir``) to UTF-8 bytes."""
    try:
        return _env(str(templates_dir)).get_template(template).render(**context).encode("utf-8")
    except TemplateError as exc:
        raise ReportError(f"{templates_dir / template}: {exc}") from None

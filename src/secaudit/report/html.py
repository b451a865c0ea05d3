"""Jinja2 rendering with gettext i18n: one set of templates, ``zh-CN`` and ``en``.

Templates mark UI text with ``_("English text")`` (``jinja2.ext.i18n``, new-style gettext). The
catalogues are gettext ``.po`` files under ``templates/locale/<locale>/LC_MESSAGES/secaudit.po``
(English is the source language, so ``en`` needs none); they are compiled in memory with Babel
when first used. HTML is autoescaped with StrictUndefined; Markdown has its own environment.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from secaudit.errors import ReportError

LANGS: dict[str, str | None] = {"zh-CN": "zh_CN", "en": None}  # report language -> gettext locale
DOMAIN = "secaudit"

#: English texts of values the templates translate at render time.
STATUS_TEXT = {
    "pass": "pass",
    "fail": "fail",
    "warn": "warn",
    "manual": "manual",
    "not_applicable": "not applicable",
    "not_collected": "not collected",
    "error": "error",
}
PHASE_TEXT = {"plan": "plan", "build": "build", "operate": "operate"}
WAIVER_TEXT = {
    "active": "active",
    "expired": "EXPIRED — not waived",
    "lapsed": "LAPSED: configuration changed — not waived",
}
I18N_CONTEXT: dict[str, Any] = {
    "STATUS_TEXT": STATUS_TEXT,
    "PHASE_TEXT": PHASE_TEXT,
    "WAIVER_TEXT": WAIVER_TEXT,
}


def _check(lang: str) -> str | None:
    if lang not in LANGS:
        raise ReportError(f"unsupported report language {lang!r} (supported: {', '.join(LANGS)})")
    return LANGS[lang]


@cache
def translations(templates_dir: str, lang: str) -> gettext.NullTranslations:
    """The compiled gettext catalogue for ``lang`` (English: the identity)."""
    locale = _check(lang)
    if locale is None:
        return gettext.NullTranslations()
    path = Path(templates_dir) / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=DOMAIN)
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read the {lang} catalogue: {exc}") from None
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def install_i18n(env: Environment, templates_dir: str, lang: str) -> Environment:
    """Enable ``_()``/``{% trans %}`` in ``env`` with the catalogue of ``lang``."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translations(templates_dir, lang), newstyle=True)  # type: ignore[attr-defined]
    return env


@cache
def _env(templates_dir: str, lang: str) -> Environment:
    # Device-supplied strings (banners, descriptions) reach these templates: autoescape always on.
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return install_i18n(env, templates_dir, lang)


def translate(templates_dir: Path, lang: str) -> Callable[[str], str]:
    """``gettext`` of ``lang``, for text built in Python (e.g. the city trend title).

    Examples:
        >>> from secaudit.resources import default_templates
        >>> translate(default_templates(), "en")("Compliant")
        'Compliant'
    """
    return translations(str(templates_dir), lang).gettext


def render(templates_dir: Path, template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` (relative to ``templates_dir``) in ``context["lang"]`` to UTF-8 bytes."""
    lang = str(context.get("lang", "zh-CN"))
    try:
        return (
            _env(str(templates_dir), lang)
            .get_template(template)
            .render(**I18N_CONTEXT, **context)
            .encode("utf-8")
        )
    except TemplateError as exc:
        raise ReportError(f"{templates_dir / template}: {exc}") from None

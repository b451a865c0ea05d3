"""Jinja2 rendering with gettext i18n: one set of templates, ``zh-CN`` and ``en``.

Templates mark UI text with ``_("English text")`` (``jinja2.ext.i18n``, new-style gettext). The
catalogues are gettext ``.po`` files under ``templates/locale/<locale>/LC_MESSAGES/secaudit.po``
(English is the source language, so ``en`` needs none); they are compiled in memory with Babel
when first used. HTML is autoescaped with StrictUndefined; Markdown has its own environment.

Reports of 1,000 hosts call ``_()`` and read attributes of plain dicts hundreds of thousands of
times, so both environments are :class:`ReportEnvironment`: the same output as Jinja's own, with
a dict's keys looked up first and each UI text translated once per environment (:func:`install_i18n`).
Large reports are rendered as a stream of chunks (:func:`render_chunks`).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Iterator
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

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
SEVERITY_TEXT = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "info": "info"}
ROLE_TEXT = {"olt": "OLT", "gateway": "home gateway", "edge5g": "5G edge"}
SOURCE_TEXT = {"live": "live collection", "offline": "offline evidence"}
#: Collection states (a state this table does not know yet is shown as its value).
COLLECTION_TEXT = {
    "ok": "collected",
    "auth_failed": "authentication failed",
    "unreachable": "unreachable",
    "host_key_unknown": "host key unknown",
    "host_key_changed": "host key changed",
    "timeout": "timeout",
    "disconnected": "disconnected",
    "empty": "empty output",
    "command_rejected": "command rejected",
    "output_truncated": "output truncated",
    "paging_not_disabled": "paging not disabled",
    "evidence_missing": "evidence missing",
    "collector_failed": "collector failed",
}
EVIDENCE_TEXT = {
    "ok": "ok",
    "missing": "missing",
    "empty": "empty",
    "truncated": "truncated",
    "paged": "paged",
    "device_error": "device error",
    "parse_error": "parse error",
    "collect_error": "collection error",
    "not_collected": "not collected",
}
I18N_CONTEXT: dict[str, Any] = {
    "STATUS_TEXT": STATUS_TEXT,
    "PHASE_TEXT": PHASE_TEXT,
    "WAIVER_TEXT": WAIVER_TEXT,
    "SEVERITY_TEXT": SEVERITY_TEXT,
    "ROLE_TEXT": ROLE_TEXT,
    "SOURCE_TEXT": SOURCE_TEXT,
    "COLLECTION_TEXT": COLLECTION_TEXT,
    "EVIDENCE_TEXT": EVIDENCE_TEXT,
}
#: Every table of value texts the templates translate (the i18n test covers them all).
VALUE_TEXTS = (
    STATUS_TEXT,
    PHASE_TEXT,
    WAIVER_TEXT,
    SEVERITY_TEXT,
    ROLE_TEXT,
    SOURCE_TEXT,
    COLLECTION_TEXT,
    EVIDENCE_TEXT,
)


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


#: Attribute names of a plain dict (``items``, ``get``...): Jinja's ``x.name`` finds these first.
_DICT_ATTRS = frozenset(dir(dict))


class ReportEnvironment(Environment):
    """A Jinja2 environment whose ``x.name`` reads a plain dict's key first.

    Jinja tries ``getattr(x, name)`` and falls back to ``x[name]``; on a dict the attribute
    lookup fails with an exception for every key. The result is the same: a dict attribute
    (``items``, ``values``...) still wins over a key of the same name, and a missing key still
    gives an undefined.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` in a template."""
        if type(obj) is dict and attribute not in _DICT_ATTRS:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _cached_gettext(translate_text: Callable[[str], str]) -> Callable[..., str]:
    """A new-style ``_()`` equal to ``jinja2.ext``'s, translating each text once per escaping mode."""
    done: dict[tuple[str, bool], str] = {}

    @pass_eval_context
    def _(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        key = (string, eval_ctx.autoescape)
        if not variables and key in done:
            return done[key]
        text = translate_text(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - the catalogue's own text, trusted as jinja2.ext does
        # As jinja2.ext: always a format string, even without variables ("%%" is "%").
        out: str = text % variables
        if not variables:
            done[key] = out
        return out

    return _


def install_i18n(env: Environment, templates_dir: str, lang: str) -> Environment:
    """Enable ``_()``/``{% trans %}`` in ``env`` with the catalogue of ``lang``.

    ``_()`` is jinja2's new-style gettext with each translated text kept once it is made.
    """
    catalogue = translations(templates_dir, lang)
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = _cached_gettext(catalogue.gettext)
    return env


@cache
def _env(templates_dir: str, lang: str) -> Environment:
    # Device-supplied strings (banners, descriptions) reach these templates: autoescape always on.
    env = ReportEnvironment(
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


#: Template output pieces joined into one chunk when a report is streamed.
CHUNK_PIECES = 20_000


def stream(template: Template, context: dict[str, Any], where: Path) -> Iterator[bytes]:
    """Render ``template`` as UTF-8 chunks: the bytes of ``template.render(**context)``, in parts.

    Jinja yields one piece per output expression; pieces are joined ``CHUNK_PIECES`` at a time,
    so no report is ever held whole. A template error names ``where``.
    """
    pieces = template.generate(**context)
    try:
        while batch := list(islice(pieces, CHUNK_PIECES)):
            yield "".join(batch).encode("utf-8")
    except TemplateError as exc:
        raise ReportError(f"{where}: {exc}") from None


def html_template(templates_dir: Path, template: str, lang: str) -> Template:
    """``template`` (relative to ``templates_dir``) compiled for ``lang`` (kept once compiled)."""
    try:
        return _env(str(templates_dir), lang).get_template(template)
    except TemplateError as exc:
        raise ReportError(f"{templates_dir / template}: {exc}") from None


def render_chunks(templates_dir: Path, template: str, context: dict[str, Any]) -> Iterator[bytes]:
    """Render ``template`` (relative to ``templates_dir``) in ``context["lang"]`` as UTF-8 chunks."""
    loaded = html_template(templates_dir, template, str(context.get("lang", "zh-CN")))
    return stream(loaded, {**I18N_CONTEXT, **context}, templates_dir / template)


def render(templates_dir: Path, template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` (relative to ``templates_dir``) in ``context["lang"]`` to UTF-8 bytes."""
    return b"".join(render_chunks(templates_dir, template, context))

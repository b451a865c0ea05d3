"""gettext catalogues: every UI text of the templates is translated to zh-CN, nothing stale."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from secaudit.history.trend import CHART_LABELS
from secaudit.report.html import VALUE_TEXTS, translate

from conftest import TEMPLATES

PO = TEMPLATES / "locale" / "zh_CN" / "LC_MESSAGES" / "secaudit.po"
LITERAL = re.compile(r'_\("((?:[^"\\]|\\.)*)"\)')


def _msgids_in_templates() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES.rglob("*.j2"):
        found |= {
            m.encode().decode("unicode_escape") for m in LITERAL.findall(path.read_text(encoding="utf-8"))
        }
    # The city trend chart is built in Python and translated with the same catalogue.
    return found.union(*(table.values() for table in VALUE_TEXTS), CHART_LABELS, {"Compliance score"})


def test_every_template_text_is_translated() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    used = _msgids_in_templates()
    missing = sorted(used - set(translated))
    assert not missing, f"no zh_CN translation for: {missing}"
    empty = sorted(k for k in used if not translated[k])
    assert not empty, f"empty zh_CN translation for: {empty}"
    stale = sorted(set(translated) - used)
    assert not stale, f"catalogue entries no template uses: {stale}"


def test_languages_from_one_template() -> None:
    assert translate(TEMPLATES, "zh-CN")("Compliant") == "合规"
    assert translate(TEMPLATES, "en")("Compliant") == "Compliant"


def test_the_trend_chart_speaks_the_report_language() -> None:
    from secaudit.history.trend import trend_svg

    def shown(svg: str) -> str:  # the visible labels (the <desc> for screen readers stays English)
        return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))

    tr = translate(TEMPLATES, "zh-CN")
    zh = shown(trend_svg([], title="x", labels={label: tr(label) for label in CHART_LABELS}))
    en = shown(trend_svg([], title="x"))
    for label in ("Run start, date and time (UTC)", "Score (%)", "No runs recorded", "score with waivers"):
        assert label in en
        assert label not in zh
    assert "审计开始日期与时间" in zh and "暂无审计记录" in zh

"""A rollback for fixes whose plan has none (template plans: no hier_config driver for the
platform): derived from the configuration seen before the change.

The pushed lines are applied to a model of the configuration taken before the change
(:class:`secaudit.lab.config.ConfigTree`, the platform's ``config_session`` rules: single-value
settings, undo/no forms, sections); what the model shows added is negated and what it shows
removed or replaced is typed again. A removed line holding a value redacted from the evidence
cannot be typed again: it is reported, and the rollback is incomplete. For platforms with a
hier_config driver the plan's own rollback (hier_config's) is used instead.

Examples:
    >>> from secaudit.platforms import get_platform
    >>> before = "\\n".join(("system-user", "  strong-password check disable", "  user-name zte",
    ...                      "    password encrypted <redacted:x>", "end"))
    >>> pushed = ("system-user", "  strong-password check enable", "  no user-name zte")
    >>> back, lost = derive(get_platform("zte_zxros"), before, pushed)
    >>> back
    ('system-user', '  strong-password check disable', '  user-name zte')
    >>> lost
    ('    password encrypted <redacted:x>',)
"""

from __future__ import annotations

from secaudit.lab.config import ConfigTree
from secaudit.platforms.base import PlatformSpec


def derive(
    spec: PlatformSpec, before: str, lines: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(rollback lines, lines that cannot be restored) for ``lines`` pushed onto ``before``."""
    tree = ConfigTree(before, spec)
    views: list[tuple[int, str]] = []
    for raw in lines:
        text = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        while views and views[-1][0] >= indent:
            views.pop()
        try:
            tree.apply(tuple(t for _, t in views), text)
        except KeyError:  # the section was removed by an earlier line
            continue
        views.append((indent, text))
    return tree.undo_lines()

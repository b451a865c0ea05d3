"""Which controls a run evaluates: the catalogue, a profile, and the command line's narrowing.

Light on purpose (no network stack): ``scan-config`` and ``checks`` use it without loading the
live collector.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from secaudit.errors import ConfigurationError
from secaudit.evaluate.loader import Catalogue, load_catalogue, load_profile, load_tailoring
from secaudit.evaluate.policy import select_controls
from secaudit.models.control import Control
from secaudit.models.profile import Profile, Selection, Tailoring


@dataclass(frozen=True, slots=True)
class Selected:
    """The catalogue and what a profile plus filters select from it."""

    catalogue: Catalogue
    profile: Profile
    controls: tuple[Control, ...]
    tailoring: dict[str, Tailoring]


def select(
    checks: Path,
    profile: str,
    phases: Iterable[str] = (),
    tags: Iterable[str] = (),
    controls: Iterable[str] = (),
) -> Selected:
    """Load the catalogue and select controls by profile, phase, tag and id (globs allowed)."""
    catalogue = load_catalogue(checks)
    ids = {c.id for c in catalogue.controls}
    the_profile = load_profile(checks, profile, ids)
    wanted = tuple(controls)
    try:
        narrowing = Selection(phases=tuple(phases), tags=tuple(tags), controls=wanted)
    except ValidationError as exc:
        raise ConfigurationError(f"bad selection: {exc.errors()[0]['msg']}") from None
    for pattern in wanted:
        if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
            raise ConfigurationError(f"--control {pattern!r} matches no control")
    chosen = select_controls(catalogue.controls, the_profile.select, narrowing)
    if not chosen:
        raise ConfigurationError(
            f"the selection (profile {profile!r}, phase/tag/control filters) selects no control"
        )
    return Selected(catalogue, the_profile, chosen, load_tailoring(checks, ids))

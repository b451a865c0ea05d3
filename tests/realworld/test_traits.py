"""CI guard for what real device files taught: every trait fixture gives the auditor's verdict."""

from __future__ import annotations

import re

import pytest

from score import SOURCES, TRAITS, Scored, load_entries, score

TRAIT_ENTRIES = load_entries(TRAITS)
SOURCE_IDS = {e.id for e in load_entries(SOURCES)}
SCORED, PROBLEMS = score(TRAIT_ENTRIES, None)


def test_every_trait_fixture_is_present() -> None:
    assert PROBLEMS == []


@pytest.mark.parametrize("scored", SCORED, ids=[f"{s.entry.id}:{s.verdict.control}" for s in SCORED])
def test_trait_verdict(scored: Scored) -> None:
    assert scored.got.value == scored.verdict.status, scored.message


def test_traits_name_their_real_world_source() -> None:
    for entry in TRAIT_ENTRIES:
        learned = entry.raw.get("learned_from") or []
        assert learned, f"{entry.id}: learned_from names no corpus entry"
        assert set(learned) <= SOURCE_IDS, f"{entry.id}: unknown corpus ids {set(learned) - SOURCE_IDS}"
        assert entry.file is not None, f"{entry.id}: own fixtures name their file"
        assert entry.sha256 is None, f"{entry.id}: own fixtures carry no sha256"


def test_sources_are_complete_records() -> None:
    """Each real file names repository, commit, path and digest; each verdict quotes numbered lines."""
    for entry in load_entries(SOURCES):
        raw = entry.raw
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", str(raw.get("repo"))), entry.id
        assert re.fullmatch(r"[0-9a-f]{40}", str(raw.get("commit"))), entry.id
        assert raw.get("path"), entry.id
        assert re.fullmatch(r"[0-9a-f]{64}", str(entry.sha256)), entry.id
        for verdict in entry.verdicts:
            for line in verdict.lines:
                assert re.match(r"^\d+: ", line), f"{entry.id} {verdict.control}: {line!r} has no line number"

"""The evaluation tree equals hier_config's tree on every configuration we have.

secaudit builds its own read-only tree (``secaudit.parse.tree``) for speed. This test is what
allows it: for each configuration in the control fixtures, the lab's device data and every
lab variant, the catalogue samples and the real-world trait files, both builders get the same
normalised lines and must give the same lines at the same places, or fail alike. Set
``SECAUDIT_CORPUS`` to a folder written by ``make realworld-fetch`` to add the real-world corpus.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hier_config import Platform as HPlatform
from hier_config import get_hconfig

from secaudit.collect.text import command_slug, decode_output, repair_text
from secaudit.lab.fleetdata import apply_variant, lab_data_platforms, load_variants, platform_outputs
from secaudit.models.enums import Platform
from secaudit.parse.config import tree_lines
from secaudit.parse.tree import build_tree, same_tree
from secaudit.platforms import PLATFORMS, get_platform
from secaudit.redact import redact_text

from conftest import ROOT

CONFIG_PLATFORMS = {p.name.value: p for p in PLATFORMS.values() if p.config_command is not None}


def _cases() -> Iterator[tuple[str, str, bytes]]:
    """(case id, platform, raw bytes) for every configuration we can find."""
    for name, spec in CONFIG_PLATFORMS.items():
        slug = command_slug(spec.config_command or "")
        for path in sorted((ROOT / "tests" / "controls").glob(f"*/{name}/*/evidence/{slug}.txt")):
            yield f"fixture:{path.relative_to(ROOT / 'tests' / 'controls')}", name, path.read_bytes()
    variants = load_variants()
    for name in lab_data_platforms():
        spec = get_platform(Platform(name))
        if spec.config_command is None:
            continue
        outputs = platform_outputs(name, "lab-host")
        if spec.config_command in outputs:
            yield f"lab:{name}", name, outputs[spec.config_command].encode()
        for vname, variant in variants.get(name, {}).items():
            changed = apply_variant(outputs, variant)
            if spec.config_command in changed:
                yield f"lab:{name}:{vname}", name, changed[spec.config_command].encode()
    samples = {
        "smartax_5_1": "huawei_smartax",
        "vrp_5_2": "huawei_vrp",
        "xr_5_4": "cisco_xr",
        "zxros_5_3": "zte_zxros",
    }
    for stem, name in samples.items():
        yield f"sample:{stem}", name, (ROOT / "tests" / "data" / "catalogue" / f"{stem}.cfg").read_bytes()
    realworld = ROOT / "tests" / "realworld"
    traits = yaml.safe_load((realworld / "traits.yaml").read_text(encoding="utf-8"))["files"]
    for entry in traits:
        if entry["platform"] in CONFIG_PLATFORMS:
            yield f"trait:{entry['id']}", entry["platform"], (realworld / entry["file"]).read_bytes()
    corpus = os.environ.get("SECAUDIT_CORPUS")
    if corpus:
        sources = yaml.safe_load((realworld / "sources.yaml").read_text(encoding="utf-8"))["files"]
        for entry in sources:
            path = Path(corpus) / entry["id"]
            if entry["platform"] in CONFIG_PLATFORMS and path.is_file():
                yield f"corpus:{entry['id']}", entry["platform"], path.read_bytes()


# Our own minimal configurations for the builder features the files above may not reach.
SYNTHETIC = {
    "xr-route-policy-and-sets": (
        "cisco_xr",
        "hostname r1\nroute-policy PASS\n  if destination in P1 then\n    pass\n  endif\n  pass\n  pass\n"
        "end-policy\n!\nprefix-set P1\n  10.0.0.0/8\nend-set\n!\nend\n",
    ),
    "xr-comments-and-template": (
        "cisco_xr",
        "! Last configuration change\nhostname r1\n! a comment\ninterface Loopback0\n ! inside\n "
        "ipv4 address 10.0.0.1 255.255.255.255\n!\ntemplate T1\n description x\nend-template\n"
        "group G1\n description y\nend-group\nbanner motd ^C\nAuthorised use only\n^C\nend\n",
    ),
    "xr-duplicate-top-level": ("cisco_xr", "hostname a\nhostname a\nend\n"),
    "xr-banner-with-bang": ("cisco_xr", "banner login ^C\n!\nNo entry\n^C\nhostname b\n"),
    "xr-unclosed-banner": ("cisco_xr", "banner login #\nNo entry\nhostname b\n"),
    "vrp-exit-and-public-key": (
        "huawei_vrp",
        "sysname A\n#\naaa\n local-user x password irreversible-cipher $1a$\n exit\n#\n"
        "rsa peer-public-key k1\n public-key-code begin\n  3082\n public-key-code end\n"
        "peer-public-key end\n#\nreturn\n",
    ),
    "generic-exit-lines": ("zte_zxros", "hostname z\ninterface a\n  shutdown\n  exit\n!\nend\n"),
}


def _synthetic() -> Iterator[tuple[str, str, bytes]]:
    for name, (platform, text) in SYNTHETIC.items():
        yield f"synthetic:{name}", platform, text.encode()


CASES = [*_cases(), *_synthetic()]


def _compare(lines: list[str], hconfig_platform: str) -> None:
    try:
        theirs = get_hconfig(HPlatform[hconfig_platform], "\n".join(lines))
    except Exception as exc:
        assert type(exc).__name__ in {"DuplicateChildError", "ValueError"}
        with pytest.raises(ValueError, match=r"duplicate section|still in a banner"):
            build_tree(lines, hconfig_platform)
        return
    ours = build_tree(lines, hconfig_platform)
    assert same_tree(ours, theirs) == []
    assert [n.text for n in ours.nodes] == [c.text for c in theirs.all_children()]


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_same_tree_on_raw_lines(name: str) -> None:
    """The builder alone (no normalisation first): comments, banners, duplicates as the driver sees them."""
    platform, text = SYNTHETIC[name]
    _compare(text.splitlines(), get_platform(Platform(platform)).hconfig_platform)


def test_the_corpus_of_configurations_is_broad() -> None:
    platforms = {p for _, p, _ in CASES}
    assert platforms == set(CONFIG_PLATFORMS), set(CONFIG_PLATFORMS) - platforms
    assert len(CASES) > 200


@pytest.mark.parametrize(("case", "platform", "text"), CASES, ids=[c[0] for c in CASES])
def test_same_tree_as_hier_config(case: str, platform: str, text: bytes) -> None:
    spec = get_platform(Platform(platform))
    evidence = redact_text(repair_text(spec, decode_output(text), is_config=True))
    try:
        lines = tree_lines(spec, evidence)
    except Exception:
        pytest.skip("no configuration lines after normalisation")
    _compare(lines, spec.hconfig_platform)

"""Configuration parsing survives the traits of real exports, and verdicts do not move."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.collect.text import decode_output
from secaudit.evaluate.matching import find
from secaudit.models.control import MatchRule
from secaudit.parse.config import normalise_lines, to_tree
from secaudit.platforms import get_platform

from conftest import TESTS
from fixtures import evaluate_dir

CAT = TESTS / "data" / "catalogue"
VRP = get_platform("huawei_vrp")
SX = get_platform("huawei_smartax")


def _lines(spec, raw: bytes) -> list[str]:  # type: ignore[no-untyped-def]
    return normalise_lines(spec, decode_output(raw))


def test_vrp_traits_do_not_change_lines() -> None:
    clean = (CAT / "vrp_5_2.cfg").read_bytes()
    noisy = clean.replace(b"\n", b"\r\n")
    noisy = b"!CfgFileCrc:5a3f27c1\r\n2024-05-11 10:12:40.123 +08:00\r\n" + noisy
    noisy = noisy.replace(
        b'header login information "Authorized access only. All activity is logged."',
        b'header login information "Authorized access only.\x07\x1b[0m All activity is logged."',
    )
    assert _lines(VRP, noisy) == _lines(VRP, clean)
    assert not any("CfgFileCrc" in ln or ln.startswith("2024-") for ln in _lines(VRP, noisy))


def test_gbk_banner_is_decoded() -> None:
    text = (
        (CAT / "vrp_5_2.cfg")
        .read_text()
        .replace(
            'header login information "Authorized access only. All activity is logged."',
            'header login information "仅限授权访问，所有操作均被记录"',
        )
    )
    lines = _lines(VRP, text.encode("gbk"))
    assert 'header login information "仅限授权访问，所有操作均被记录"' in lines


def test_smartax_sections_and_hard_wrap() -> None:
    from secaudit.collect.text import repair_text

    raw = (CAT / "smartax_5_1.cfg").read_text()
    tree = to_tree(SX, repair_text(SX, raw, is_config=True))  # wraps are joined when text is collected
    wrapped = find(tree, (MatchRule(startswith="terminal user name buildrun_new_password secaudit"),))
    assert len(wrapped) == 1
    assert wrapped[0].text.endswith('first-login-info 0 self-changed-password 1 "-----"')
    profile = find(
        tree,
        (
            MatchRule(equals='ont-lineprofile gpon profile-id 20 profile-name "LINE_IPTV"'),
            MatchRule(startswith="gem add"),
        ),
    )
    assert [n.text for n in profile] == ["gem add 2 eth tcont 1"]
    assert find(tree, (MatchRule(equals="aaa"), MatchRule(startswith="domain")))
    assert not find(tree, (MatchRule(re_search=r"^\[|^<"),), anywhere=True), "section markers must be dropped"


def test_xr_header_lines_dropped() -> None:
    lines = normalise_lines(get_platform("cisco_xr"), (CAT / "xr_5_4.cfg").read_text())
    assert not any(ln.startswith(("Building configuration", "Mon ", "!!")) for ln in lines)
    assert lines[-1] != "end"


@pytest.mark.parametrize("case", ["pass_catalogue_5_2"])
def test_crlf_gbk_evidence_same_verdict(case: str, catalogue, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = TESTS / "controls" / "SEC-NTP-001" / "huawei_vrp" / case / "evidence"
    dst = tmp_path / "evidence"
    dst.mkdir()
    for f in src.iterdir():
        dst.joinpath(f.name).write_bytes(f.read_text().replace("\n", "\r\n").encode("gbk"))
    control = catalogue.by_id()["SEC-NTP-001"]
    assert evaluate_dir(control, "huawei_vrp", dst).status.value == "pass"

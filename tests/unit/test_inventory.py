"""Inventory loading: good inventory, filters, and one clear line for each kind of bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from secaudit.errors import InventoryError
from secaudit.inventory import TargetFilter, load_inventory

from conftest import INVENTORY


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    shutil.copytree(INVENTORY, tmp_path / "inventory")
    return tmp_path / "inventory"


def test_demo_inventory_loads() -> None:
    loaded = load_inventory(INVENTORY)
    assert len(loaded.targets) == 7
    assert loaded.operators["telecom"].display_name == "嘉兴电信"
    assert loaded.operators["cable"].display_name == "嘉兴华数"
    olt = next(t for t in loaded.targets if t.name == "tel-olt-xh01")
    assert (olt.platform.value, olt.role.value, olt.operator) == ("huawei_smartax", "olt", "telecom")


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (TargetFilter(operators=("mobile",)), {"mob-olt-nh01", "mob-csr-nh01"}),
        (TargetFilter(roles=("olt",), operators=("telecom", "unicom")), {"tel-olt-xh01", "uni-olt-jx01"}),
        (TargetFilter(sites=("haining-ts03",)), {"twr-csr-hn01"}),
        (TargetFilter(hosts=("*-csr-*",), operators=("unicom",)), {"uni-csr-jx01"}),
    ],
)
def test_filters(flt: TargetFilter, expected: set[str]) -> None:
    assert {t.name for t in load_inventory(INVENTORY, flt).targets} == expected


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_unknown_platform_names_file_line_and_host(inv: Path) -> None:
    _edit(
        inv / "hosts.yaml",
        "  groups: [telecom, huawei_olt]\n",
        "  platform: huawei_smrtax\n  groups: [telecom, huawei_olt]\n",
    )
    with pytest.raises(InventoryError) as exc:
        load_inventory(inv)
    msg = str(exc.value)
    assert re.search(r"hosts\.yaml:\d+: host 'tel-olt-xh01': unknown platform 'huawei_smrtax'", msg), msg
    assert "\n" not in msg


def test_bad_role(inv: Path) -> None:
    _edit(
        inv / "hosts.yaml",
        "data: {site: nanhu-ce02, environment: staging, model: NE40E-X8A}",
        "data: {site: nanhu-ce02, environment: staging, model: NE40E-X8A, role: router}",
    )
    with pytest.raises(InventoryError, match=r"hosts\.yaml:\d+: host 'mob-csr-nh01': role"):
        load_inventory(inv)


def test_unknown_group(inv: Path) -> None:
    _edit(inv / "hosts.yaml", "groups: [tower, huawei_edge]", "groups: [towr, huawei_edge]")
    with pytest.raises(InventoryError, match=r"hosts\.yaml:\d+: host 'twr-csr-hn01': unknown group 'towr'"):
        load_inventory(inv)


def test_yaml_syntax_error(inv: Path) -> None:
    _edit(inv / "groups.yaml", "    lang: zh-CN\n", "    lang: [zh-CN\n")
    with pytest.raises(InventoryError, match=r"groups\.yaml:\d+: YAML syntax error"):
        load_inventory(inv)


def test_missing_operator(inv: Path) -> None:
    _edit(inv / "hosts.yaml", "groups: [tower, huawei_edge]", "groups: [huawei_edge]")
    with pytest.raises(InventoryError, match=r"host 'twr-csr-hn01': no operator"):
        load_inventory(inv)


def test_missing_environment_value(inv: Path) -> None:
    _edit(inv / "hosts.yaml", "environment: lab, model: MA5600T", "environment: prod, model: MA5600T")
    with pytest.raises(InventoryError, match=r"host 'uni-olt-jx01': environment"):
        load_inventory(inv)

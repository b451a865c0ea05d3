"""`--timeout` bounds every read, the running configuration's included, unless `--config-timeout`
is given explicitly (it used to default to 120 s, holding a hung host for two minutes)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from secaudit.cli import app
from secaudit.collect.live import LiveCollector
from secaudit.inventory import load_inventory
from secaudit.pipeline.run import AuditRequest, default_collector

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def collector(**kwargs: float) -> LiveCollector:
    request = AuditRequest(key=Path("k"), inventory=INVENTORY, **kwargs)  # type: ignore[arg-type]
    made = default_collector(request, load_inventory(INVENTORY), {}, Path("unused"))
    assert isinstance(made, LiveCollector)
    return made


def test_timeout_bounds_the_configuration_read_by_default() -> None:
    options = collector(timeout=7.0).options
    assert options.read_timeout(is_config=True) == 7.0
    assert options.read_timeout(is_config=False) == 7.0


def test_an_explicit_config_timeout_is_used_for_the_configuration_only() -> None:
    options = collector(timeout=7.0, config_timeout=45.0).options
    assert options.read_timeout(is_config=True) == 45.0
    assert options.read_timeout(is_config=False) == 7.0


def test_the_cli_has_no_hidden_config_timeout_default() -> None:
    text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "80"}).output
    block = text[text.index("--config-timeout") :].split("\n  --", 1)[0]
    assert "default: --timeout" in " ".join(block.split())
    assert "120" not in block

"""Evidence quality assessment: nothing bad may look ok."""

from __future__ import annotations

import pytest

from secaudit.collect.text import assess, command_slug, decode_output
from secaudit.models.enums import EvidenceState
from secaudit.platforms import get_platform

VRP = get_platform("huawei_vrp")
SX = get_platform("huawei_smartax")


@pytest.mark.parametrize(
    ("spec", "text", "is_config", "state"),
    [
        (VRP, "", True, EvidenceState.EMPTY),
        (VRP, "  \n\n", False, EvidenceState.EMPTY),
        (VRP, "sysname a\n#\nreturn\n", True, EvidenceState.OK),
        (VRP, "sysname a\n#\n", True, EvidenceState.TRUNCATED),
        (VRP, "sysname a\n  ---- More ----\nreturn", True, EvidenceState.PAGED),
        (SX, "a\n---- More ( Press 'Q' to break ) ----\n", False, EvidenceState.PAGED),
        (SX, "display board 0\n{ <cr>||<K> }:\n", False, EvidenceState.PAGED),
        (VRP, "Error: Unrecognized command found at '^' position.", False, EvidenceState.DEVICE_ERROR),
        (
            get_platform("cisco_xr"),
            "% Invalid input detected at '^' marker.",
            False,
            EvidenceState.DEVICE_ERROR,
        ),
        (VRP, "<R1>display version\nHuawei Versatile Routing Platform\n", False, EvidenceState.OK),
    ],
)
def test_assess(spec, text: str, is_config: bool, state: EvidenceState) -> None:  # type: ignore[no-untyped-def]
    assert assess(spec, "display current-configuration", text, is_config=is_config)[0] is state


def test_slug_rule() -> None:
    assert command_slug("display sysman service state") == "display_sysman_service_state"
    assert command_slug("show running-config | include snmp") == "show_running-config_include_snmp"
    with pytest.raises(ValueError, match="no usable"):
        command_slug(" | ")


def test_decode_gbk_and_crlf() -> None:
    assert decode_output("告警\r\n".encode("gbk")) == "告警\n"
    assert decode_output(b"a\x00b\x07c\r\n") == "abc\n"


def test_decode_byte_order_marks_and_bare_utf16() -> None:
    config = "#\r\nsysname 核心-01\r\n#\r\nreturn\r\n"
    expected = "#\nsysname 核心-01\n#\nreturn\n"
    assert decode_output(config.encode("utf-8-sig")) == expected
    assert decode_output(config.encode("utf-16")) == expected  # with BOM
    assert decode_output("\ufeff".encode("utf-16-be") + config.encode("utf-16-be")) == expected
    assert decode_output(config.encode("utf-16-le")) == expected  # no BOM: recognised by its NULs
    assert decode_output(config.encode("gbk")) == expected

"""Credentials: environment first, then a 0600 secrets file outside any git work tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.collect.credentials import env_names, load_secrets_file, resolve, scrub, secret_values
from secaudit.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


def _secrets(path: Path, mode: int = 0o600) -> Path:
    path.write_text(
        "telecom: {username: auditor, password: FileSecret123}\nmobile: {username: m, password: MobPw456}\n"
    )
    path.chmod(mode)
    return path


def test_environment_wins_over_file(tmp_path: Path) -> None:
    user, pw, _ = env_names("telecom")
    creds = resolve(
        ["telecom", "mobile", "cable"], _secrets(tmp_path / "s.yaml"), {user: "envuser", pw: "EnvSecret789"}
    )
    assert creds["telecom"].username == "envuser"
    assert creds["telecom"].password == "EnvSecret789"
    assert creds["mobile"].password == "MobPw456"
    assert "cable" not in creds
    assert "EnvSecret789" not in repr(creds)
    assert secret_values(creds) == ("EnvSecret789", "MobPw456")


def test_secrets_file_mode_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_secrets_file(_secrets(tmp_path / "s.yaml", 0o644))


def test_secrets_file_inside_repository_refused() -> None:
    inside = ROOT / "tests" / "data" / "planted-secrets.yaml"
    try:
        _secrets(inside)
        with pytest.raises(ConfigurationError, match="inside the git work tree"):
            load_secrets_file(inside)
    finally:
        inside.unlink(missing_ok=True)


def test_scrub_removes_values() -> None:
    assert (
        scrub("auth failed for auditor/EnvSecret789 on host", ("EnvSecret789",))
        == "auth failed for auditor/<redacted> on host"
    )

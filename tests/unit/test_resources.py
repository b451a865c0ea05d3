"""secaudit.resources: the default checks/ and templates/ of a checkout or of an installed wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit import resources
from secaudit.errors import ConfigurationError
from secaudit.resources import content_dir, default_checks, default_templates, locate

ROOT = Path(__file__).resolve().parents[2]


def _checkout(root: Path) -> Path:
    """A fake source checkout under ``root``; returns its ``resources.py`` location."""
    (root / "checks" / "controls").mkdir(parents=True)
    (root / "templates" / "html").mkdir(parents=True)
    module = root / "src" / "secaudit" / "resources.py"
    module.parent.mkdir(parents=True)
    return module


def _installed(site: Path) -> Path:
    """A fake installed wheel in ``site`` (site-packages); returns its ``resources.py`` location."""
    package = site / "secaudit"
    (package / "_content" / "checks" / "controls").mkdir(parents=True)
    (package / "_content" / "templates" / "html").mkdir(parents=True)
    return package / "resources.py"


def test_this_checkout_uses_its_top_level_folders() -> None:
    assert (ROOT / "src" / "secaudit" / "resources.py").is_file()
    assert content_dir("checks") == ROOT / "checks"
    assert content_dir("templates") == ROOT / "templates"
    assert default_checks() == ROOT / "checks"
    assert default_templates() == ROOT / "templates"


def test_defaults_are_absolute_so_the_cwd_does_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_checks().is_absolute()
    assert (default_checks() / "controls").is_dir()
    assert (default_templates() / "html").is_dir()


def test_checkout_layout(tmp_path: Path) -> None:
    module = _checkout(tmp_path / "repo")
    assert locate("checks", module) == tmp_path / "repo" / "checks"
    assert locate("templates", module) == tmp_path / "repo" / "templates"


def test_installed_layout(tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    module = _installed(site)
    assert locate("checks", module) == site / "secaudit" / "_content" / "checks"
    assert locate("templates", module) == site / "secaudit" / "_content" / "templates"


def test_checkout_wins_over_a_packaged_copy(tmp_path: Path) -> None:
    # an editable install of a checkout that also has a stale _content/ (e.g. from a local build)
    module = _checkout(tmp_path / "repo")
    _installed(module.parent.parent)
    assert locate("checks", module) == tmp_path / "repo" / "checks"


def test_a_checks_folder_near_an_installed_package_is_not_a_checkout(tmp_path: Path) -> None:
    # `pip install --target proj/vendor`: proj/checks is the user's folder, not this installation's
    (tmp_path / "proj" / "checks" / "controls").mkdir(parents=True)
    module = _installed(tmp_path / "proj" / "vendor")
    assert locate("checks", module) == tmp_path / "proj" / "vendor" / "secaudit" / "_content" / "checks"


def test_a_folder_without_its_marker_does_not_count(tmp_path: Path) -> None:
    module = tmp_path / "repo" / "src" / "secaudit" / "resources.py"
    (tmp_path / "repo" / "checks").mkdir(parents=True)  # no controls/
    (module.parent / "_content" / "checks" / "controls").mkdir(parents=True)
    assert locate("checks", module) == module.parent / "_content" / "checks"
    with pytest.raises(ConfigurationError):
        locate("templates", module)


def test_missing_content_names_both_places(tmp_path: Path) -> None:
    module = tmp_path / "site-packages" / "secaudit" / "resources.py"
    module.parent.mkdir(parents=True)
    with pytest.raises(ConfigurationError) as info:
        locate("templates", module)
    message = str(info.value)
    assert str(tmp_path / "templates") in message
    assert str(module.parent / "_content" / "templates") in message
    assert "--templates" in message


def test_unknown_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown content folder"):
        locate("inventory", Path(resources.__file__))  # type: ignore[arg-type]

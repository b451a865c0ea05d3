"""Where the default content is: the check catalogue (``checks/``) and report templates (``templates/``).

The content is kept at the top of the repository and reaches an installation in one of two ways:

* **source checkout or editable install** (``pip install -e .``): this module is
  ``<repo>/src/secaudit/resources.py`` and the content is ``<repo>/checks`` and ``<repo>/templates``.
  Those folders are used, so what is edited in the checkout is what runs.
* **installed wheel**: the build copied the two folders into the package
  (``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``) as
  ``secaudit/_content/checks`` and ``secaudit/_content/templates``. A wheel is unpacked on
  install, so these are real folders and a :class:`~pathlib.Path` to them works.

The checkout is tried first. A folder counts only when it holds its marker sub-folder
(``checks/controls/``, ``templates/html/``), and the checkout only when this module sits in a ``src/``
folder, so an unrelated ``checks/`` folder near an installed package is never taken for the catalogue.
Callers (CLI defaults, ``schedule.yaml`` defaults) use :func:`default_checks` and
:func:`default_templates`; an explicit ``--checks`` or ``--templates`` folder always wins over both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from secaudit.errors import ConfigurationError

ContentName = Literal["checks", "templates"]

#: The sub-folder that marks a real content folder, per content name.
MARKERS: Final[dict[ContentName, str]] = {"checks": "controls", "templates": "html"}

#: The folder inside the package where the wheel carries the content.
PACKAGED_DIR: Final = "_content"

_MODULE: Final = Path(__file__).resolve()


def candidates(name: ContentName, module: Path = _MODULE) -> tuple[Path, Path]:
    """The checkout folder and the packaged folder for ``name``, in the order they are tried.

    ``module`` is the location of this module (a parameter so that layouts can be shown and tested).

    Examples:
        >>> from pathlib import Path
        >>> checkout, packaged = candidates("checks", Path("/repo/src/secaudit/resources.py"))
        >>> checkout.as_posix(), packaged.as_posix()
        ('/repo/checks', '/repo/src/secaudit/_content/checks')
        >>> site = Path("/venv/lib/python3.11/site-packages")
        >>> [p.as_posix() for p in candidates("templates", site / "secaudit" / "resources.py")]
        ['/venv/lib/python3.11/templates', '/venv/lib/python3.11/site-packages/secaudit/_content/templates']
    """
    package = module.parent
    return package.parent.parent / name, package / PACKAGED_DIR / name


def locate(name: ContentName, module: Path = _MODULE) -> Path:
    """The content folder ``name`` for the installation whose ``resources.py`` is ``module``.

    Raises:
        ConfigurationError: neither the checkout folder nor the packaged folder holds the marker;
            the message names both places.
        ValueError: ``name`` is not a content folder name.

    Examples:
        >>> from pathlib import Path
        >>> locate("checks", Path("/nonexistent-secaudit/src/secaudit/resources.py"))
        Traceback (most recent call last):
        ...
        secaudit.errors.ConfigurationError: default checks/ folder not found: ...
    """
    if name not in MARKERS:
        raise ValueError(f"unknown content folder {name!r} (known: {', '.join(MARKERS)})")
    marker = MARKERS[name]
    checkout, packaged = candidates(name, module)
    if module.parent.parent.name == "src" and (checkout / marker).is_dir():
        return checkout
    if (packaged / marker).is_dir():
        return packaged
    raise ConfigurationError(
        f"default {name}/ folder not found: neither {checkout} (source checkout) nor {packaged} "
        f"(installed package) has a {marker}/ folder; reinstall secaudit or pass --{name} FOLDER"
    )


def content_dir(name: ContentName) -> Path:
    """The default ``checks`` or ``templates`` folder of this installation (see the module docstring).

    Examples:
        >>> content_dir("checks").name
        'checks'
        >>> (content_dir("templates") / "html").is_dir()
        True
    """
    return locate(name)


def default_checks() -> Path:
    """The default check catalogue folder: ``checks/`` of the checkout, else the packaged copy.

    Examples:
        >>> (default_checks() / "controls").is_dir()
        True
    """
    return content_dir("checks")


def default_templates() -> Path:
    """The default report templates folder: ``templates/`` of the checkout, else the packaged copy.

    Examples:
        >>> (default_templates() / "locale").is_dir()
        True
    """
    return content_dir("templates")

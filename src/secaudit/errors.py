"""One exception root, one leaf per stage (docs/architecture.md, A.6 Errors).

Per-host problems during a run never raise: they become evidence states and ``error`` findings.
"""

from __future__ import annotations


class SecauditError(Exception):
    """Root of every error secaudit raises on purpose."""


class ConfigurationError(SecauditError, ValueError):
    """Bad CLI options, knobs, profiles or run configuration."""


class InventoryError(SecauditError):
    """The inventory cannot be loaded; the message names the file, line and host."""


class UnknownPlatformError(SecauditError, KeyError):
    """A platform name that is not in the closed platform registry."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message.
        return str(self.args[0]) if self.args else ""


class CollectionError(SecauditError):
    """A whole-run collection failure (per-host failures become evidence states instead)."""


class ParseError(SecauditError):
    """TextFSM or configuration parsing failed for one piece of evidence."""


class CheckDefinitionError(SecauditError, ValueError):
    """Content (controls, profiles, templates) is invalid; raised at load time, never mid-run."""


class ReportError(SecauditError):
    """A report could not be rendered or written."""


class SigningError(SecauditError):
    """Keys could not be generated, loaded or used."""


class VerificationError(SigningError):
    """A bundle does not verify."""

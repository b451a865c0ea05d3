"""The Python escape hatch: registered functions for checks the closed operator set cannot express.

Each function takes the rule, the host's parsed evidence by id and the knobs, and returns an
``Outcome``. Every registered function needs its own unit tests (tests/unit/test_functions.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from secaudit.evaluate.outcome import Outcome
from secaudit.models.control import PythonRule
from secaudit.models.evidence import ParsedEvidence
from secaudit.models.knobs import Knobs

Function = Callable[[PythonRule, Mapping[str, ParsedEvidence], Knobs], Outcome]


class FunctionRegistry:
    """A typed registry with per-instance state (never a shared class attribute)."""

    def __init__(self) -> None:
        self._items: dict[str, Function] = {}

    def register(self, name: str) -> Callable[[Function], Function]:
        """Decorator registering ``func`` under ``name``; a duplicate name is an error."""

        def deco(func: Function) -> Function:
            if name in self._items:
                raise ValueError(f"python check function {name!r} is already registered")
            self._items[name] = func
            return func

        return deco

    def get(self, name: str) -> Function:
        """Return the function registered as ``name``."""
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown python check function {name!r} (known: {sorted(self._items)})") from None

    def names(self) -> frozenset[str]:
        """Names of all registered functions."""
        return frozenset(self._items)


FUNCTIONS = FunctionRegistry()

"""The Python escape hatch: registered functions for checks the closed operator set cannot express.

Each function takes the rule, the host's parsed evidence by id and the knobs, and returns an
``Outcome``. Every registered function needs its own unit tests (tests/unit/test_functions.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from secaudit.evaluate.outcome import Outcome
from secaudit.models.control import PythonRule, on_fail_status
from secaudit.models.enums import Status
from secaudit.models.evidence import ParsedEvidence
from secaudit.models.knobs import Knobs
from secaudit.parse.tree import ConfigTree

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

_VTY_POOL = re.compile(r"^vty-pool \S+ \d+ \d+(?: line-template (?P<template>\S+))?")


def vty_line_blocks(tree: ConfigTree) -> list[str]:
    """The IOS XR line blocks the VTYs use: each vty-pool's line template, else ``line default``.

    Without any ``vty-pool`` line the VTYs use ``line default`` (the implicit default pool).

    Examples:
        >>> from hier_config import Platform, get_hconfig
        >>> vty_line_blocks(get_hconfig(Platform.CISCO_XR, "vty-pool default 0 15 line-template SSH"))
        ['line template SSH']
        >>> vty_line_blocks(get_hconfig(Platform.CISCO_XR, "hostname r1"))
        ['line default']
    """
    used: dict[str, None] = {}
    for node in tree.children:
        match = _VTY_POOL.match(node.text)
        if match is not None:
            template = match.group("template")
            used[f"line template {template}" if template and template != "default" else "line default"] = None
    return list(used) or ["line default"]


@FUNCTIONS.register("xr_vty_access_class")
def xr_vty_access_class(rule: PythonRule, ev: Mapping[str, ParsedEvidence], knobs: Knobs) -> Outcome:
    """Every line block the IOS XR VTYs use carries ``access-class ingress <ACL>``.

    Line templates no vty-pool uses are not management paths and are not judged.
    """
    tree = ev[rule.evidence].tree
    if tree is None:
        raise TypeError(f"evidence {rule.evidence!r} is not configuration evidence (parser: config)")
    blocks = {node.text: node for node in tree.children}
    observed: list[str] = []
    missing: list[str] = []
    for name in vty_line_blocks(tree):
        node = blocks.get(name)
        acl = [c.text for c in node.children if c.text.startswith("access-class ingress ")] if node else []
        if acl:
            observed.append(f"{name} > {acl[0]}")
        else:
            missing.append(name if node else f"{name} (not configured)")
    if missing:
        status = on_fail_status(rule.on_fail)
        return Outcome(status, f"{rule.message} ({', '.join(missing)})", tuple(missing))
    return Outcome(Status.PASS, "the VTY line blocks carry an ingress access-class", tuple(observed))

"""Redis ACL rules for the fleet: one user per operator, confined to that operator's key prefix.

A worker's user reaches only ``secaudit:<operator>:*`` keys and channels: its queue (and its
priority sub-queues), kombu's binding table, unacked hash, index and mutex, the results and the
by-reference evidence of its own shards. Administrative and dangerous commands (``KEYS``,
``FLUSHALL``, ``CONFIG``, ``MONITOR``, ``ACL``, ...) and scripts are refused to every fleet user.
The coordinator's user reaches every operator's prefix and nothing else.
"""

from __future__ import annotations

from secaudit.fleet.settings import key_prefix

#: Commands of every fleet user: all but administration and dangerous ones. Scripts stay allowed
#: (kombu refreshes its binding tables with EVALSHA); Redis checks every key a script touches
#: against the same ACL, so a script cannot leave the prefix. Flushing or killing scripts (other
#: operators' too) and server-side functions are refused.
COMMANDS = ("+@all", "-@admin", "-@dangerous", "-script|flush", "-script|kill", "-function")


def worker_user(operator: str) -> str:
    """The Redis user name of an operator's workers.

    Examples:
        >>> worker_user("telecom")
        'secaudit-telecom'
    """
    key_prefix(operator)
    return f"secaudit-{operator}"


COORDINATOR_USER = "secaudit-coordinator"


def acl_rules(operators: tuple[str, ...], password_hash: str) -> list[str]:
    """``ACL SETUSER`` rules (after the user name) for a user reaching these operators' prefixes.

    ``password_hash`` is the SHA-256 hex of the password (``#<hash>``: the clear password never
    needs to be in an ACL file).

    Examples:
        >>> acl_rules(("telecom",), "ab" * 32)[3:7]
        ['~secaudit:telecom:*', '&secaudit:telecom:*', '+@all', '-@admin']
    """
    rules = ["reset", "on", f"#{password_hash}"]
    rules += [f"~{key_prefix(op)}*" for op in operators]
    rules += [f"&{key_prefix(op)}*" for op in operators]
    return [*rules, *COMMANDS]


def acl_file_line(user: str, operators: tuple[str, ...], password_hash: str) -> str:
    """One line of a Redis ``aclfile`` (``user NAME RULES...``)."""
    return " ".join(["user", user, *acl_rules(operators, password_hash)[1:]])

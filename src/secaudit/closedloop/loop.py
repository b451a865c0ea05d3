"""One host through the closed loop: drift check, push, re-audit, verdict, and rollback.

1. a read-only live audit (the run's recorded catalogue, profile and selection): the host's
   configuration must still have the digest the signed run observed, else the host is refused;
2. the plan's pushable fixes are sent in one configuration session (:mod:`.push`);
3. the host is audited again; every targeted finding must now pass and no finding that passed
   may stop passing;
4. otherwise (or when the device rejected a line) the fixes' rollback is pushed, the host is
   audited a third time, and the outcome says whether the configuration is back to the digest
   the run observed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from secaudit.closedloop.push import PushResult, push, strip_ansi
from secaudit.closedloop.rollback import derive
from secaudit.closedloop.source import HostSource
from secaudit.closedloop.values import Pushable, Values, pushable
from secaudit.collect.base import Collector, Plan
from secaudit.collect.credentials import Credential, scrub
from secaudit.collect.live import LiveOptions
from secaudit.collect.sharded import live_collector
from secaudit.models.enums import CollectionState, EvidenceSource, Status
from secaudit.models.evidence import HostEvidence
from secaudit.models.finding import Finding
from secaudit.models.target import Target
from secaudit.pipeline import HOST_KEY_CONTROL, run_audit
from secaudit.platforms import get_platform
from secaudit.redact import redact_text
from secaudit.replay import recorded_config


class Verdict(StrEnum):
    """How one host came out of ``remediate apply``."""

    FIXED = "fixed"  # every targeted finding passes, nothing regressed
    ROLLED_BACK = "rolled_back"  # a target not fixed, a regression or a rejected line: rolled back
    NOTHING = "nothing_to_push"  # no fix could be pushed (values missing, advice, no lines)
    REFUSED = "refused"  # drift: the configuration is not the one the run observed
    INCOMPLETE = "incomplete"  # an audit could not collect, or the rollback did not restore


@dataclass(frozen=True, slots=True)
class Change:
    """One finding's status before (the signed run), after the push and after any rollback."""

    control_id: str
    before: str
    after: str | None
    after_rollback: str | None
    targeted: bool


@dataclass(slots=True)
class HostOutcome:
    """Everything the before/after bundle records about one host."""

    host: str
    platform: str
    operator: str
    verdict: Verdict = Verdict.NOTHING
    message: str = ""
    targeted: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)
    pushed: tuple[str, ...] = ()
    answers: str = ""
    rejected: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    rollback_answers: str = ""
    changes: tuple[Change, ...] = ()
    configs: dict[str, str] = field(default_factory=dict)
    restored: bool | None = None
    rollback_source: str = "the plan (hier_config)"
    failing_with_fix: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Context:
    """What every host's loop shares: inventory, credentials, options, placeholder values."""

    inventory: Path
    credentials: Mapping[str, Credential]
    options: LiveOptions
    fix_values: Mapping[str, str]
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Tee:
    """A collector that keeps each host's evidence as collected (the audit loop drops the text)."""

    inner: Collector
    seen: list[HostEvidence]

    @property
    def source(self) -> EvidenceSource:
        return self.inner.source

    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        for host in self.inner.collect(targets, plan):
            self.seen.append(host)
            yield host


def _audit(src: HostSource, ctx: Context) -> tuple[dict[str, Finding], HostEvidence]:
    config, _ = recorded_config(src.bundle, targets=(src.target,), now=datetime.now(UTC))
    seen: list[HostEvidence] = []
    collector = _Tee(live_collector(ctx.inventory, ctx.credentials, ctx.options, ctx.secrets), seen)
    audit = run_audit(config, collector)
    findings = {
        f.control_id: f
        for f in audit.result.findings
        if f.host == src.target.name and f.control_id != HOST_KEY_CONTROL
    }
    return findings, seen[0]


def _digests(host: HostEvidence) -> dict[str, str]:
    return {e.command: e.sha256 for e in host.evidence if e.text}


def _config_text(host: HostEvidence) -> str:
    command = get_platform(host.target.platform).config_command
    if command is not None:
        return next((e.text for e in host.evidence if e.command == command), "")
    return "\n".join(f"### {e.command}\n{e.text}" for e in host.evidence)


def drift(src: HostSource, host: HostEvidence) -> str | None:
    """Why the host's configuration is not the one the run observed (``None``: it is)."""
    command = get_platform(src.target.platform).config_command
    now = _digests(host)
    commands = [command] if command is not None else sorted(src.digests)
    for cmd in commands:
        if cmd not in src.digests:
            return f"the run holds no evidence of '{cmd}' to compare with"
        if now.get(cmd) != src.digests[cmd]:
            seen, want = now.get(cmd, "none")[:12], src.digests[cmd][:12]
            return f"'{cmd}' has changed since the run (sha256 {seen}..., the run saw {want}...)"
    return None


def _incomplete(findings: Mapping[str, Finding]) -> bool:
    return any(f.status in (Status.ERROR, Status.NOT_COLLECTED) for f in findings.values())


def _push(src: HostSource, ctx: Context, lines: tuple[str, ...], secrets: tuple[str, ...]) -> PushResult:
    """Push, turning a failed session into a result the verdict can use (the device's state is
    then unknown: the re-audit decides, and the rollback is attempted)."""
    try:
        return push(src.target, ctx.credentials[src.target.operator], ctx.options, lines)
    except Exception as exc:  # any session failure must end in a recorded verdict
        detail = scrub(f"{type(exc).__name__}: {exc}".splitlines()[0], secrets)
        return PushResult("", (f"<the configuration session failed: {detail}>",))


def apply_host(src: HostSource, ctx: Context) -> HostOutcome:
    """Run the closed loop on one lab host (the caller has passed it through the lab gate)."""
    target = src.target
    out = HostOutcome(target.name, target.platform.value, target.operator)
    before = {f.control_id: f for f in src.findings if f.control_id != HOST_KEY_CONTROL}
    values = Values.of(target.name, ctx.fix_values)
    ready: list[Pushable] = []
    spec = get_platform(target.platform)
    for fix in src.plan.fixes:
        control = src.catalogue.by_id().get(fix.control_id)
        check = control.platforms.get(target.platform) if control is not None else None
        from_config = spec.config_command is None or (
            check is not None and any(e.parser == "config" for e in check.evidence)
        )
        ok = pushable(fix, values, from_config=from_config)
        if isinstance(ok, str):
            out.skipped[fix.control_id] = ok
        else:
            ready.append(ok)
    out.failing_with_fix = tuple(
        f.control_id
        for f in src.plan.fixes
        if f.status is Status.FAIL and f.remediation and f.control_id in before
    )
    if not src.plan.fixes:  # compliant in the run, or nothing collected: nothing to change
        out.message = "no fail or warn finding in the run: nothing to apply"
        return out
    if src.collection != CollectionState.OK.value:
        out.message = f"the run did not collect this host ({src.collection}): audit it again first"
        return out
    _, host = _audit(src, ctx)
    out.configs["before"] = _config_text(host)
    if host.state is not CollectionState.OK:
        out.verdict = Verdict.INCOMPLETE
        out.message = f"the read-only audit before the change failed: {host.state.value}: {host.detail}"
        return out
    reason = drift(src, host)
    if reason is not None:
        out.verdict, out.message = Verdict.REFUSED, f"refused: {reason}; audit again before applying"
        return out
    if not ready:
        out.verdict, out.message = Verdict.NOTHING, "no fix of the plan can be pushed (see skipped)"
        return out
    secrets = tuple(sorted({s for p in ready for s in p.secrets} | set(ctx.secrets), key=len, reverse=True))
    lines = tuple(line for p in ready for line in p.lines)
    out.targeted = tuple(p.fix.control_id for p in ready)
    out.pushed = tuple(redact_text(line) for p in ready for line in p.fix.remediation)
    result = _push(src, ctx, lines, secrets)
    out.answers = redact_text(scrub(strip_ansi(result.answers), secrets))
    out.rejected = tuple(redact_text(scrub(line, secrets)) for line in result.rejected)
    after, host = _audit(src, ctx)
    out.configs["after"] = _config_text(host)
    not_fixed = [c for c in out.targeted if after.get(c) is None or after[c].status is not Status.PASS]
    regressed = [
        c
        for c, f in before.items()
        if f.status is Status.PASS and (after.get(c) is None or after[c].status is not Status.PASS)
    ]
    if not (not_fixed or regressed or out.rejected):
        out.verdict = Verdict.INCOMPLETE if _incomplete(after) else Verdict.FIXED
        out.message = f"fixed {len(out.targeted)} finding(s): {', '.join(out.targeted)}"
        out.changes = _changes(before, after, None, out.targeted)
        return out
    why = "; ".join(
        part
        for part in (
            f"rejected by the device: {', '.join(out.rejected)}" if out.rejected else "",
            f"not fixed: {', '.join(not_fixed)}" if not_fixed else "",
            f"passed before, not now: {', '.join(regressed)}" if regressed else "",
        )
        if part
    )
    back = tuple(line for p in reversed(ready) for line in p.rollback)
    out.rollback = tuple(redact_text(line) for p in reversed(ready) for line in p.fix.rollback)
    unknown = [p.fix.control_id for p in ready if not p.fix.rollback_known]
    if unknown and spec.config_command is not None:  # template plans: derive one from the config before
        back, lost = derive(spec, out.configs["before"], lines)
        out.rollback = tuple(redact_text(scrub(line, secrets)) for line in back)
        out.rollback_source = "derived from the configuration before the change"
        unknown = [f"cannot type back: {line.strip()}" for line in lost]
    if back:
        undone = _push(src, ctx, back, secrets)
        out.rollback_answers = redact_text(scrub(strip_ansi(undone.answers), secrets))
    final, host = _audit(src, ctx)
    out.configs["after_rollback"] = _config_text(host)
    out.restored = drift(src, host) is None
    out.changes = _changes(before, after, final, out.targeted)
    missing = f" ({'; '.join(unknown)})" if unknown else ""
    if out.restored:
        out.verdict = Verdict.ROLLED_BACK
        out.message = f"{why}: rolled back{missing}; the configuration is the one the run observed"
    else:
        out.verdict = Verdict.INCOMPLETE
        out.message = f"{why}: rollback pushed{missing}, but the configuration differs from the run's"
    return out


def _changes(
    before: Mapping[str, Finding],
    after: Mapping[str, Finding],
    final: Mapping[str, Finding] | None,
    targeted: tuple[str, ...],
) -> tuple[Change, ...]:
    ids = sorted(set(before) | set(after) | set(final or {}))

    def status(findings: Mapping[str, Finding] | None, cid: str) -> str | None:
        if findings is None:
            return None
        f = findings.get(cid)
        return f.status.value if f is not None else "absent"

    return tuple(
        Change(cid, status(before, cid) or "absent", status(after, cid), status(final, cid), cid in targeted)
        for cid in ids
    )

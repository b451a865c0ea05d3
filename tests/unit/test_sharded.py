"""The sharded collector's parent never waits on a worker that died, even in the middle of a message."""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading

from secaudit.collect.sharded import _drain
from secaudit.models.enums import Environment, Platform, Role
from secaudit.models.target import Target

TARGET = Target(
    name="r1",
    hostname="127.0.0.1",
    platform=Platform.HUAWEI_VRP,
    operator="telecom",
    role=Role.EDGE5G,
    site="s",
    environment=Environment.LAB,
    model="m",
)


def _half_message(writer: multiprocessing.connection.Connection) -> None:
    # the length header of a 1 MiB message, a few bytes of it, then death (as a kill mid-send)
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"partial")
    os._exit(9)


def test_a_worker_killed_mid_message_is_reported_not_waited_for() -> None:
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_half_message, args=(writer,), daemon=True)
    proc.start()
    writer.close()
    result: list[object] = []
    drained = threading.Thread(target=lambda: result.extend(_drain([(proc, (TARGET,), reader)])), daemon=True)
    drained.start()
    drained.join(timeout=30)
    assert not drained.is_alive(), "the parent hangs on a worker that died mid-message"
    [(missing, why)] = result  # type: ignore[misc]
    assert missing == (TARGET,)
    assert "exited with code 9" in why

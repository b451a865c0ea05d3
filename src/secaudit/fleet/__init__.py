"""The fleet engine: Celery workers inside each operator's network, evaluation and signing central.

* :mod:`secaudit.fleet.settings`: the broker connection, the per-operator key prefix and queue,
  and the Celery application both sides build from them (late acks, hard time limits, signed
  messages);
* :mod:`secaudit.fleet.wire`: what crosses the broker (shards of targets and commands one way,
  zlib-compressed, size-limited evidence the other way, large outputs by reference);
* :mod:`secaudit.fleet.worker`: ``secaudit worker --operator OP``, collecting with that operator's
  own credentials and known_hosts, enforcing the read-only allowlist itself;
* :mod:`secaudit.fleet.engine`: :class:`~secaudit.fleet.engine.CeleryCollector`, the
  :class:`~secaudit.collect.base.Collector` that ``secaudit run --engine celery`` plugs in;
* :mod:`secaudit.fleet.broker`: Redis ACL rules (one user per operator, confined to its prefix).
"""

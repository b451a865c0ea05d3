"""Print connect / 2 commands / disconnect times per platform against the lab (median of N).

Run: ``.venv/bin/python tests/lab/measure_lab_timings.py [N]``. Not collected by pytest.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab_support import roundtrip, spec, start_lab

from secaudit.lab import LAB_PLATFORMS


def main(rounds: int = 5) -> None:
    """Run ``rounds`` round trips per platform and print the medians."""
    with tempfile.TemporaryDirectory() as tmp:
        lab = start_lab([spec(p, p) for p in LAB_PLATFORMS], Path(tmp))
        try:
            header = " ".join(f"{h:>8s}" for h in ("connect", "2 cmds", "disconn", "total"))
            print(f"{'platform':15s} {header}  (median of {rounds})")
            for platform in LAB_PLATFORMS:
                runs = [roundtrip(lab, platform)[1] for _ in range(rounds)]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                cells = " ".join(f"{med[k]:7.2f}s" for k in ("connect", "commands", "disconnect", "total"))
                print(f"{platform:15s} {cells}")
        finally:
            lab.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)

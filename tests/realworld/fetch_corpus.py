"""Materialise the real-world corpus from local git mirrors into a scratch folder.

The corpus files are third-party and never committed. Each entry of ``sources.yaml`` names a
repository, a commit and a path; this script reads them from mirrors already on this machine
(``<mirrors>/<owner>+<name>/repo`` as the ``fetch`` tool lays them out, or any bare clone under
``<mirrors>/<owner>+<name>``), checks the sha256 and writes ``<out>/<id>``. It makes no network
connection; a repository without a mirror is listed so that it can be fetched first.

    python tests/realworld/fetch_corpus.py --mirrors /work/.mirror --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from score import SOURCES, load_entries


def git_dir(mirrors: Path, repo: str) -> Path | None:
    """The git directory of ``repo`` (``owner/name``) under ``mirrors``, if there is one."""
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo", base / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def main() -> int:
    """Write every corpus file whose mirror is present; report the rest."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--sources", type=Path, default=SOURCES)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    ok, missing, bad = 0, [], []
    for entry in load_entries(args.sources):
        repo, commit, path = (entry.raw.get(k) for k in ("repo", "commit", "path"))
        gd = git_dir(args.mirrors, str(repo))
        if gd is None:
            missing.append(str(repo))
            continue
        shown = subprocess.run(
            ["git", "--git-dir", str(gd), "show", f"{commit}:{path}"], capture_output=True, check=False
        )
        if shown.returncode != 0:
            bad.append(f"{entry.id}: {repo}@{commit}:{path}: {shown.stderr.decode(errors='replace').strip()}")
            continue
        if hashlib.sha256(shown.stdout).hexdigest() != entry.sha256:
            bad.append(f"{entry.id}: sha256 differs")
            continue
        (args.out / entry.id).write_bytes(shown.stdout)
        ok += 1
    print(f"{ok} file(s) written to {args.out}")
    for repo in sorted(set(missing)):
        print(f"no mirror for {repo} (fetch it first)")
    for line in bad:
        print(f"not written: {line}")
    return 0 if not missing and not bad else 1


if __name__ == "__main__":
    sys.exit(main())

"""Output folders and run records of county runs.

A run writes into a staging folder next to its target and swaps it in at the
end, so readers see either the previous outputs or the new ones, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["staging_folder", "replace_folder", "hash_inputs", "write_run_record"]


def staging_folder(target: Path) -> Path:
    """Create and return an empty staging folder next to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.staging-{uuid.uuid4().hex[:12]}")
    staging.mkdir()
    return staging


def replace_folder(staging: Path, target: Path) -> None:
    """Move `staging` to `target`, replacing what `target` held.

    The old folder is first renamed aside and removed only after the new one
    is in place, so `target` is missing only between two renames.
    """
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_inputs(paths) -> dict[str, str]:
    """Return the SHA-256 of every file in `paths` (files or folders, searched
    recursively), keyed by path and sorted; missing paths are left out."""
    files = []
    for path in map(Path, paths):
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file())
    return {str(p): _sha256(p) for p in sorted(set(files))}


def write_run_record(folder: Path, record: dict) -> Path:
    """Write ``run.json`` into `folder`."""
    path = folder / "run.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n",
                    encoding="utf-8")
    return path

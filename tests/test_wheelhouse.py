"""`fupin wheelhouse` builds a bundle that installs the workbench with pip's
index switched off, as on an office machine without internet.

Building the bundle downloads every dependency once (pip's cache serves the
ones that `make install` fetched), so this is the slowest test of the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUPIN = Path(sys.executable).with_name("fupin")


def _copy_project(target: Path) -> Path:
    """Copy the files under version control, as an office receives them."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode("utf-8").split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(command, cwd):
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_wheelhouse_installs_without_index(tmp_path):
    project = _copy_project(tmp_path / "project")
    _run([FUPIN, "wheelhouse", "--out", "wheelhouse"], cwd=project)
    wheels = {path.name.split("-")[0].lower() for path in (project / "wheelhouse").glob("*.whl")}
    assert {"fupin_workbench", "setuptools", "wheel", "pandas", "pyarrow", "voila"} <= wheels

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", "wheelhouse", "-e", "."],
         cwd=project)

    commands = _run([venv / "bin" / "fupin", "--help"], cwd=project).stdout
    assert "import" in commands
    assert "sample-data" in commands
    _run([python, "-c", "import fupin_lib.io, fupin_lib.checks, fupin_lib.risk, fupin_lib.matching, fupin_lib.apps"],
         cwd=project)

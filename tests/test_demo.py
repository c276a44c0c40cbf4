"""The demo pipeline end to end on the small sample: import, training, the
8 county runs and the demo administrator."""

from __future__ import annotations

import json
import shutil

from fupin_lib._demo import run_demo

ZHAOQING = ["441202", "441203", "441204", "441223", "441224", "441225", "441226", "441284"]


def test_demo_runs_all_counties(sample_exports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(sample_exports, tmp_path / "data" / "sample")
    lines = []

    failed = run_demo(households=240, seed=7, data_root=tmp_path / "data", echo=lines.append)

    output = "\n".join(lines)
    assert failed == 0, output
    for county in ZHAOQING:
        assert county in output, f"{county} missing from the import summary"
        record = json.loads((tmp_path / "outputs" / county / "2020" / "run.json").read_text(encoding="utf-8"))
        assert record["status"] == "success"
    assert (tmp_path / "models" / "risk" / "metadata.json").exists()
    assert "失败 0 个" in output
    assert "review.ipynb?token=" in output
    assert "dashboard.ipynb?token=" in output

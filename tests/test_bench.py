"""The load harness still plays its room end to end (a small one: this checks the harness, not speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_bench_plays_a_small_room_against_the_project_and_the_floor(tmp_path: Path) -> None:
    """Twenty phones, two concerns, one vote each: every event reaches every phone, a JSON record is written."""
    room = ["--phones", "20", "--concerns", "2", "--modes", "gevent", "--workers", "8", "--output", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "bench/load.py", *room],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = tmp_path.glob("floor-*-20-sqlite-1p.json")
    result = json.loads(record.read_text())["results"][0]
    for target in ("floor", "project"):
        figures = result[target]
        assert figures["errors"] == [] and figures["phones_missing_final_counts"] == 0, figures
        assert figures["phones"] == 20 and figures["votes"] == 20
    assert result["targets_met"]["nothing_lost"]
    assert set(result["targets_met"]) >= {"connect_within_2x_floor", "at_most_100kb_per_connection"}

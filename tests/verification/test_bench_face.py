"""`kinko bench face` runs and reports the figures it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_bench_face_json_reports_rate_and_p50() -> None:
    # A process of its own: the benchmark pins itself to one core.
    out = subprocess.run(
        [sys.executable, "-c", "from kinko.cli import main; main()", "bench", "face",
         "--verifications", "3", "--json"],
        capture_output=True, text=True, check=True, env=os.environ.copy(), timeout=300)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["verifications"] == 3
    assert figures["verifications_per_s"] > 0
    assert figures["p50_ms"] > 0
    assert "target_met" in figures

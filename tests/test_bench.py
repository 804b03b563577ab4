"""The benchmark runs end to end on a tiny data set (the real figures come from `python -m visitor.bench`)."""

import json
import subprocess
import sys


def test_benchmark_smoke_run_prints_every_figure():
    r = subprocess.run([sys.executable, "-m", "visitor.bench", "--homes", "2", "--visits", "4", "--repeat", "3",
                        "--startup-repeat", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("startup_ms", "startup_floor_ms", "startup_ratio", "autosave_ms", "autosave_floor_ms", "autosave_ratio",
                "export_ms", "export_floor_ms", "export_ratio", "trends_ms", "dashboard_summary_ms", "memory_mb", "missed"):
        assert key in result, key
    assert result["homes"] == 2 and result["visits"] == 4
    assert "start-up ratio" in r.stdout

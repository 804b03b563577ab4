"""The benchmark runs end to end on a tiny data set, and measures what it says it measures.

The real figures come from ``python -m visitor.bench`` (and ``--scale``); speed is never asserted here.
"""

import json
import subprocess
import sys

from visitor.bench import dataset
from visitor.bench.run import probe


def test_benchmark_smoke_run_prints_every_figure():
    r = subprocess.run([sys.executable, "-m", "visitor.bench", "--homes", "2", "--visits", "4", "--repeat", "3",
                        "--pairs", "1", "--keys", "6"], capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode in (0, 1), r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("startup_ms", "startup_floor_ms", "startup_ratio", "autosave_ms", "autosave_floor_ms", "autosave_ratio",
                "export_ms", "export_floor_ms", "export_ratio", "trends_ms", "dashboard_summary_ms", "key_p95_ms",
                "memory_mb", "missed"):
        assert key in result, key
    assert result["homes"] == 2 and result["visits"] == 4 and result["mode"] == "everyday"
    assert result["keystrokes"] >= 6 and result["key_fields"] > 0, "the session reached the walkthrough"
    assert "start-up ratio" in r.stdout and "keystroke p95 ms" in r.stdout


def test_peak_memory_is_the_measured_process_own_not_inherited_from_a_big_parent(tmp_path):
    ballast = bytearray(300 * 1024 * 1024)  # the parent's resident memory: 300 MB, every page touched
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    store = dataset.build(tmp_path / "data", 1, 2)
    store.close()
    measured = probe("cli", "--data", str(tmp_path / "data"), "homes")
    assert measured["status"] == 0
    assert 5 < measured["peak_mb"] < 150, measured
    del ballast


def test_scale_bundle_loads_through_the_real_command(tmp_path):
    """The --scale run starts by loading its bundle; a tiny one proves the bundle is a valid reg44 bundle."""
    from visitor.bench.run import write_bundle

    write_bundle(tmp_path / "b.json", 2, 3)
    loaded = probe("cli", "--data", str(tmp_path / "data"), "load", str(tmp_path / "b.json"))
    assert loaded["status"] == 0
    summed = probe("summaries", str(tmp_path / "data"))
    assert summed["homes"] == 2

"""The built wheel carries the checklists, and the installed lookup finds them."""

import subprocess
import sys
import zipfile


from conftest import ROOT


def test_wheel_contains_checklists(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    [wheel] = tmp_path.glob("reg44-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "visitor/_checklists/closed-culture.toml" in names
    assert any(n.endswith("dashboard.tcss") for n in names)
    assert "visitor/hub/migrations/0001_tables.sql" in names  # the hub schema ships with the code


def test_checklist_lookup_falls_back_to_source_checkout():
    from visitor import checklist

    assert (checklist.shipped_folder() / "closed-culture.toml").exists()

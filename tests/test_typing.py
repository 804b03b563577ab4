"""The domain layer (everything outside visitor/tui) type-checks cleanly with mypy.

Run as the project's own command line would (a subprocess from the repository root, so that the
``[tool.mypy]`` section of pyproject.toml applies): an annotation that stops matching the code fails here.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (pip install -e '.[test]')")


def test_domain_layer_has_no_type_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
         "visitor", "--exclude", "visitor/tui"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout

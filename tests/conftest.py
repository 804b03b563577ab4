"""Shared fixtures: every test gets its own real data folder; a developer's own data never leaks in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from visitor.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("REG44_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("REG44_EXPORTS", str(tmp_path / "exports"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TEXTUAL", raising=False)
    yield


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir):
    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo set built once per session; tests copy it rather than rebuild it."""
    from visitor import demo

    folder = tmp_path_factory.mktemp("demo") / "data"
    s = Store(folder)
    demo.build(s)
    s.close()
    return folder


@pytest.fixture
def demo_store(demo_template, data_dir):
    import shutil

    shutil.copytree(demo_template, data_dir)
    s = Store(data_dir)
    yield s
    s.close()


def run_cli(*args: str, data: Path | None = None, env: dict | None = None, input_text: str | None = None):
    """Run the real ``reg44`` command in a subprocess."""
    import subprocess

    full_env = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-m", "visitor"] + (["--data", str(data)] if data else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, input=input_text, timeout=120)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A fast scratch folder for the crash tests' many trial copies (see tests/faults.py)."""
    import shutil

    from faults import scratch_folder

    folder = scratch_folder(tmp_path_factory.mktemp("scratch"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def templates(scratch):
    """Each crash-tested operation's starting folder, built once per module."""
    from crash_templates import build_templates

    return build_templates(scratch / "templates")

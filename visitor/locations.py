"""Where data, settings and exports live: ``--data``, else ``REG44_DATA``, else the user data folder."""

from __future__ import annotations

import os
from pathlib import Path

from visitor.storage.paths import private_dir  # noqa: F401 - re-exported for the report writer

ENV_DATA = "REG44_DATA"
ENV_EXPORTS = "REG44_EXPORTS"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("reg44", appauthor=False))


def exports_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Reports go to ``--out``, else ``REG44_EXPORTS``, else ``exports/`` in the working folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_EXPORTS)
    return Path(env).expanduser().resolve() if env else Path.cwd() / "exports"

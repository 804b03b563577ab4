"""Where the hub is and how to reach it, without a password ever sitting in the data folder.

The target comes from ``REG44_HUB`` or the settings key ``hub``: a ``postgresql://`` URI or the name of
a libpq service (``~/.pg_service.conf``). Passwords belong in libpq's own ``~/.pgpass``; a target
carrying one is refused.
"""

from __future__ import annotations

import os

from visitor.model import ValidationError


class HubError(ValidationError):
    """The hub cannot be used as asked; the message says why in one line."""


def hub_target(settings: dict) -> str:
    """The configured hub as a libpq connection string, or raise ``HubError`` if there is none."""
    raw = os.environ.get("REG44_HUB") or settings.get("hub") or ""
    if not isinstance(raw, str) or not raw.strip():
        raise HubError("No hub is configured: set REG44_HUB or the settings key 'hub' "
                       "(a postgresql:// address or a libpq service name).")
    return conninfo(raw.strip())


def conninfo(raw: str) -> str:
    """Accept a URI, a key=value string or a bare service name; refuse any that carries a password."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    if raw.startswith(("postgresql://", "postgres://")) or "=" in raw:
        text = raw
    elif raw.replace("_", "").replace("-", "").replace(".", "").isalnum():
        text = f"service={raw}"
    else:
        raise HubError(f"The hub {raw!r} is neither a postgresql:// address nor a libpq service name.")
    try:
        parts = conninfo_to_dict(text)
    except ProgrammingError as exc:  # the text does not parse
        raise HubError(f"The hub address cannot be read ({_first_line(exc)}).") from None
    if parts.get("password"):
        raise HubError("The hub address contains a password: remove it and keep it in ~/.pgpass instead.")
    return text


def connect(target: str, **kwargs):
    """Open a connection, turning libpq's failures into a one-line ``HubError``."""
    import psycopg

    try:
        return psycopg.connect(target, connect_timeout=10, application_name="reg44", autocommit=True, **kwargs)
    except psycopg.OperationalError as exc:
        raise HubError(f"Cannot reach the hub: {_first_line(exc)}") from None


def describe(target: str) -> str:
    """The target for messages: user, host and database, never any secret."""
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(target)
    if "service" in parts and len(parts) == 1:
        return f"service {parts['service']}"
    return f"{parts.get('user', '(you)')}@{parts.get('host', 'local')}/{parts.get('dbname', '')}"


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

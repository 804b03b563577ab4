"""The local data folder's file layer: path-safe names, crash-safe files, multi-file commits, snapshots.

``visitor.store.Store`` is built on these; nothing here knows about homes or visits.
"""

from visitor.storage.files import (
    META_TABLE,
    SCHEMA_VERSION,
    DataFileError,
    DataLock,
    LockedError,
    ReadOnlyError,
    SchemaTooNewError,
    atomic_write,
    dump_tables,
    parse_tables,
    read_file,
    read_tables,
)
from visitor.storage.paths import UnsafeName, inside, private_dir, safe_name

__all__ = [
    "META_TABLE", "SCHEMA_VERSION", "DataFileError", "DataLock", "LockedError", "ReadOnlyError",
    "SchemaTooNewError", "UnsafeName", "atomic_write", "dump_tables", "inside", "parse_tables", "private_dir",
    "read_file", "read_tables", "safe_name",
]

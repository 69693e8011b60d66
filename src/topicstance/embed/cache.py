"""A persistent, content-addressed embedding cache in SQLite (WAL mode).

Keys are sha256 of (weights sha256, pooling, normalisation, max_seq_length,
precision, text). SQLite transactions make writes atomic: a process killed
mid-write leaves the last committed batch and nothing half-written, and several
processes (or Dask workers) can read and write one cache at once.
"""
from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path
from typing import Iterable

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL)
"""


def cache_key(config_hash: str, text: str) -> str:
    return hashlib.sha256(config_hash.encode() + b"\0" + text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    """Maps keys to float32 vectors. ``None`` path means a disabled cache."""

    def __init__(self, path: str | Path | None):
        self.path = None if path is None else Path(path)
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=60000")
            for attempt in range(50):
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.execute(SCHEMA)
                    break
                except sqlite3.OperationalError:
                    if attempt == 49:
                        raise
                    time.sleep(0.1)
            self._conn = conn
        return self._conn

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        conn = self._connect()
        if conn is None or not keys:
            return {}
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            q = f"SELECT key, dim, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})"
            for key, dim, blob in conn.execute(q, part):
                v = np.frombuffer(blob, dtype=np.float32)
                if v.shape[0] == dim:  # a row that does not decode is treated as a miss
                    out[key] = v
        return out

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        conn = self._connect()
        if conn is None:
            return
        rows = [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        if not rows:
            return
        for attempt in range(100):
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT OR REPLACE INTO vectors(key, dim, vec) VALUES (?, ?, ?)", rows)
                conn.execute("COMMIT")
                return
            except sqlite3.OperationalError:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.OperationalError:
                    pass
                if attempt == 99:
                    raise
                time.sleep(0.05 * (1 + attempt % 10))

    def __len__(self) -> int:
        conn = self._connect()
        if conn is None:
            return 0
        return int(conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def integrity_ok(self) -> bool:
        conn = self._connect()
        if conn is None:
            return True
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

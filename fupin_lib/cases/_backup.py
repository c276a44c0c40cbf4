"""Backup and restore of the case store.

- SQLite: the online backup API of the ``sqlite3`` module copies a consistent
  snapshot while the apps keep running; restore copies the file back through
  the same API, so open connections see the restored data.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean`` when the
  client tools are on PATH; otherwise a portable JSON dump of every table in
  the metadata (rows as JSON lines in one file), restored by deleting and
  re-inserting the rows in foreign-key order.

A restore ends with `init_db`, so a backup of an older version is upgraded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import make_url

from .._errors import FupinError, ParameterError
from ._base import get_engine
from ._migrate import init_db, target_metadata

__all__ = ["backup_db", "restore_db"]

logger = logging.getLogger(__name__)

_JSON_MAGIC = "fupin-case-store-json-1"


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


def _libpq_url(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def backup_db(out, *, url: str | None = None, portable: bool = False) -> Path:
    """Write a backup of the case store at `url` to the file `out`.

    `portable` forces the JSON dump on PostgreSQL even when ``pg_dump`` exists.
    """
    from .._paths import database_url

    url = url or database_url()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    init_db(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif backend == "postgresql" and shutil.which("pg_dump") and not portable:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", _libpq_url(url)])
    else:
        _json_dump(url, out)
    logger.info("backed up the case store to %s", out)
    return out


def restore_db(path, *, url: str | None = None) -> None:
    """Replace the contents of the case store at `url` with the backup `path`.

    Raises
    ------
    ParameterError
        The file is missing or is not a backup of the matching kind.
    """
    from .._paths import database_url

    url = url or database_url()
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"备份文件 {path} 不存在。")
    backend = make_url(url).get_backend_name()
    head = path.read_bytes()[:32]
    if head.startswith(_JSON_MAGIC.encode()) or head.startswith(b'{"format"'):
        init_db(url)
        _json_restore(url, path)
    elif backend == "sqlite":
        if not head.startswith(b"SQLite format 3"):
            raise ParameterError(f"{path} 不是 SQLite 备份文件。")
        get_engine(url).dispose()
        source = sqlite3.connect(path)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif backend == "postgresql":
        if not head.startswith(b"PGDMP"):
            raise ParameterError(f"{path} 不是 pg_dump 自定义格式的备份文件。")
        if not shutil.which("pg_restore"):
            raise FupinError("恢复 pg_dump 备份需要 pg_restore，请安装 PostgreSQL 客户端工具。")
        get_engine(url).dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(path)])
    else:
        raise ParameterError(f"不支持的数据库类型：{backend}。")
    from . import _migrate

    _migrate._UP_TO_DATE.discard(str(get_engine(url).url))
    init_db(url)
    logger.info("restored the case store from %s", path)


def _run(command: list[str]) -> None:
    shown = [c if "://" not in c and not c.startswith("--dbname") else "<url>" for c in command]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        logger.error("%s failed: %s", " ".join(shown), error.stderr)
        raise FupinError(f"{command[0]} 执行失败：{error.stderr.strip()[:500]}") from error


def _encode(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return {"$date": value.isoformat(), "$kind": type(value).__name__}
    return value


def _decode(value):
    if isinstance(value, dict) and "$date" in value:
        if value["$kind"] == "date":
            return dt.date.fromisoformat(value["$date"])
        return dt.datetime.fromisoformat(value["$date"])
    return value


def _json_dump(url: str, out: Path) -> None:
    metadata = target_metadata()
    engine = get_engine(url)
    with engine.connect() as connection, out.open("w", encoding="utf-8") as handle:
        handle.write(_JSON_MAGIC + "\n")
        for table in metadata.sorted_tables:
            if not engine.dialect.has_table(connection, table.name):
                continue
            for row in connection.execute(select(table)).mappings():
                record = {"table": table.name, "row": {k: _encode(v) for k, v in row.items()}}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _json_restore(url: str, path: Path) -> None:
    metadata = target_metadata()
    rows: dict[str, list[dict]] = {}
    with path.open(encoding="utf-8") as handle:
        if handle.readline().strip() != _JSON_MAGIC:
            raise ParameterError(f"{path} 不是工作台的 JSON 备份文件。")
        for line in handle:
            record = json.loads(line)
            rows.setdefault(record["table"], []).append(
                {k: _decode(v) for k, v in record["row"].items()})
    engine = get_engine(url)
    with engine.connect() as connection:
        with connection.execution_options(fupin_write=True).begin():
            for table in reversed(metadata.sorted_tables):
                if engine.dialect.has_table(connection, table.name):
                    connection.execute(delete(table))
            for table in metadata.sorted_tables:
                if rows.get(table.name):
                    connection.execute(insert(table), rows[table.name])
            if connection.dialect.name == "postgresql":
                for table in metadata.sorted_tables:
                    if "id" in table.c and rows.get(table.name):
                        connection.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT MAX(id) FROM {table.name}))"))

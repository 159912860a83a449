"""``tomtat db upgrade|status``: the schema of the service's database (TOMTAT_DATABASE_URL, else TOMTAT_DB).

The service migrates on start-up too; ``upgrade`` is for deployments that migrate first (one job before
the replicas roll), ``status`` says where a database stands.
"""

from __future__ import annotations

import json

from ..config import Settings


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="migrate the database (jobs, keys, cache) or show its schema version")
    parser.add_argument("--url", help="database URL or SQLite file (default TOMTAT_DATABASE_URL, else TOMTAT_DB)")
    sub = parser.add_subparsers(dest="db_command", required=True)
    sub.add_parser("upgrade", help="apply the migrations the database lacks").set_defaults(func=upgrade)
    status_ = sub.add_parser("status", help="print the schema version and the latest this tomtat knows")
    status_.add_argument("--json", action="store_true")
    status_.set_defaults(func=status)


def _database(args, migrate: bool):
    from ..db import Database

    return Database(args.url or Settings.from_env().database, migrate=migrate)


def upgrade(args) -> int:
    db = _database(args, migrate=False)
    applied = db.upgrade()
    if applied:
        print(f"{db.display_url}: migrated to schema version {applied[-1]} (applied {', '.join(map(str, applied))})")
    else:
        print(f"{db.display_url}: at schema version {db.version()}, nothing to do")
    return 0


def status(args) -> int:
    from ..db import LATEST, MIGRATIONS

    db = _database(args, migrate=False)
    current = db.version()
    body = {"database": db.display_url, "dialect": db.dialect, "version": current, "latest": LATEST,
            "pending": [m.version for m in MIGRATIONS if m.version > current]}
    if args.json:
        print(json.dumps(body))
    else:
        pending = ", ".join(f"{m.version} ({m.description})" for m in MIGRATIONS if m.version > current)
        print(f"{body['database']} ({db.dialect}): schema version {current} of {LATEST}"
              + (f"; pending: {pending} — run `tomtat db upgrade`" if pending else "; up to date"))
    return 0

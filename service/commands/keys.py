"""``tomtat keys create|list|revoke``: API keys in the service's database (TOMTAT_DATABASE_URL, else TOMTAT_DB)."""

from __future__ import annotations

import json
import sys

from ..config import Settings
from ..keys import KeyError_, KeyStore


def register(subparsers) -> None:
    parser = subparsers.add_parser("keys", help="create, list and revoke API keys (used when TOMTAT_AUTH=1)")
    parser.add_argument("--db", help="database URL or SQLite file (default TOMTAT_DATABASE_URL, else TOMTAT_DB)")
    sub = parser.add_subparsers(dest="keys_command", required=True)
    create = sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="who or what uses the key (e.g. 'desk-tin-quoc-te')")
    create.add_argument("--rate", help="request rate, e.g. '60/minute' or '10/second;1000/day' (default TOMTAT_RATE_LIMIT)")
    create.add_argument("--chars", help="character quota: N characters a day, or e.g. '500000/hour' "
                                        "(default TOMTAT_CHAR_QUOTA)")
    create.add_argument("--json", action="store_true", help="print the key and its record as JSON")
    create.set_defaults(func=create_key)
    ls = sub.add_parser("list", help="list keys (never the keys themselves)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_keys)
    revoke = sub.add_parser("revoke", help="revoke a key by id, 'tt_<id>' prefix or name")
    revoke.add_argument("key")
    revoke.set_defaults(func=revoke_key)


def _store(args) -> KeyStore:
    return KeyStore(args.db or Settings.from_env().database)


def _chars(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return f"{value}/day" if value.isdigit() else value


def create_key(args) -> int:
    try:
        record, key = _store(args).create(args.name, args.rate, _chars(args.chars))
    except KeyError_ as exc:
        print(f"tomtat: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(record.as_dict() | {"key": key}, ensure_ascii=False, indent=2))
        return 0
    print(key)
    settings = Settings.from_env()
    print(f"\nKey {record.id} for {record.name!r}: rate {record.rate_limit or settings.rate_limit + ' (default)'}, "
          f"characters {record.char_quota or settings.char_quota + ' (default)'}.\n"
          "This is the only time the key is shown; it is stored hashed. Send it as "
          "'Authorization: Bearer <key>' or 'X-API-Key: <key>'.", file=sys.stderr)
    return 0


def list_keys(args) -> int:
    records = _store(args).list()
    if args.json:
        print(json.dumps([r.as_dict() for r in records], ensure_ascii=False, indent=2))
        return 0
    rows = [("id", "name", "rate", "chars", "created", "last used", "state")]
    for r in records:
        rows.append((r.id, r.name, r.rate_limit or "default", r.char_quota or "default", r.created_at,
                     r.last_used_at or "-", f"revoked {r.revoked_at}" if r.revoked else "active"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if not records:
        print("(no keys yet: `tomtat keys create --name NAME`)", file=sys.stderr)
    return 0


def revoke_key(args) -> int:
    try:
        record = _store(args).revoke(args.key)
    except KeyError_ as exc:
        print(f"tomtat: {exc}", file=sys.stderr)
        return 2
    print(f"revoked {record.id} ({record.name}) at {record.revoked_at}")
    return 0

#!/usr/bin/env python3
"""The distribution inventory of docs/SCALING.md: which tables carry organization_id, and which
primary keys and unique indexes of those lack it (Citus needs it in every one).

Usage: scripts/tenant-keys.py [path/to/migrated.db]
Without a path, a fresh SQLite database is migrated with target/debug/crm (build it first).
"""
import os
import sqlite3
import subprocess
import sys
import tempfile


def migrated_db() -> str:
    path = os.path.join(tempfile.mkdtemp(), "schema.db")
    env = dict(os.environ, CRM_ENV="test", CRM__DATABASE__URL=f"sqlite://{path}?mode=rwc")
    subprocess.run(["target/debug/crm", "migrate", "up"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return path


def main() -> None:
    db = sqlite3.connect(sys.argv[1] if len(sys.argv) > 1 else migrated_db())
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    tenant, other, pk_ok, pk_missing, unique_missing = [], [], [], [], []
    for t in tables:
        info = db.execute(f"PRAGMA table_info('{t}')").fetchall()
        columns = [r[1] for r in info]
        if "organization_id" not in columns:
            other.append(t)
            continue
        tenant.append(t)
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] > 0]
        (pk_ok if "organization_id" in pk else pk_missing).append(f"{t}({', '.join(pk)})")
        for index in db.execute(f"PRAGMA index_list('{t}')").fetchall():
            name, unique, origin = index[1], index[2], index[3]
            cols = [r[2] for r in db.execute(f"PRAGMA index_info('{name}')")]
            if unique and origin != "pk" and "organization_id" not in cols:
                unique_missing.append(f"{t}.{name}({', '.join(cols)})")
    print(f"{len(tables)} tables, {len(tenant)} with organization_id; without it: {', '.join(other)}")
    print(f"primary keys with organization_id ({len(pk_ok)}): {', '.join(pk_ok)}")
    print(f"primary keys without it ({len(pk_missing)}):")
    for line in pk_missing:
        print(f"  {line}")
    print(f"unique indexes without it ({len(unique_missing)}):")
    for line in unique_missing:
        print(f"  {line}")


if __name__ == "__main__":
    main()

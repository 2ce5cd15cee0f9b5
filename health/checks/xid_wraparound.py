"""Tables whose oldest unfrozen transaction ID is getting old."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', n.nspname, c.relname) AS table_name, age(c.relfrozenxid) AS xid_age,
       (SELECT age(datfrozenxid) FROM pg_database WHERE datname = current_database()) AS database_age
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relfrozenxid <> 0 AND age(c.relfrozenxid) >= %(warn_age)s
ORDER BY xid_age DESC
LIMIT 50
"""

WRAPAROUND = 2**31


def evaluate(rows, params):
    findings = []
    for r in rows:
        used = r["xid_age"] / WRAPAROUND
        findings.append(
            CHECK.finding(
                objects=[r["table_name"]],
                detail=f"{r['table_name']}: oldest unfrozen transaction is {r['xid_age']} transactions old "
                f"({used:.1%} of the way to wraparound; the database's is {r['database_age']}).",
                fix=f"VACUUM (FREEZE, VERBOSE) {r['table_name']}; and end whatever holds the xmin horizon back.",
                severity="critical" if r["xid_age"] >= params["critical_age"] else None,
                data={"xid_age": r["xid_age"], "used": round(used, 4)},
            )
        )
    return findings


CHECK = Check(
    id="xid_wraparound",
    title="Transaction ID wraparound approaching",
    severity="warning",
    why="At about 2 billion transactions PostgreSQL stops accepting writes to avoid wraparound data loss; "
    "only a freezing vacuum of the old tables brings the age down.",
    sql=SQL,
    evaluate=evaluate,
    params={"warn_age": 500_000_000, "critical_age": 1_500_000_000},
)

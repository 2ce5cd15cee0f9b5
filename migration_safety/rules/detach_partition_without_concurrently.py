from migration_safety.model import Rule
from migration_safety.tree import AlterTableType, alter_commands, relation_name, table_of


def check(statement, script):
    for cmd in alter_commands(statement.node):
        if cmd.subtype == AlterTableType.AT_DetachPartition and not getattr(cmd.def_, "concurrent", False):
            parent, partition = table_of(statement.node), relation_name(cmd.def_.name)
            yield RULE.finding(
                statement,
                f"DETACH PARTITION {partition} takes ACCESS EXCLUSIVE on {parent}: every query of the parent waits.",
                safer=f"ALTER TABLE {parent} DETACH PARTITION {partition} CONCURRENTLY;  -- PostgreSQL 14+",
            )


RULE = Rule(
    id="detach-partition-without-concurrently",
    severity="warning",
    title="Detach partitions CONCURRENTLY",
    why="Since PostgreSQL 14 DETACH PARTITION CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE on the parent.",
    check=check,
    must_fire=("ALTER TABLE measurements DETACH PARTITION measurements_2023;",),
    must_not=("ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;",),
)

"""One module per rule, named for its id (`adding-required-column` -> `adding_required_column.py`).

Each module defines `RULE = Rule(id=..., severity=..., title=..., why=..., check=..., must_fire=...,
must_not=...)`. `check(statement, script)` yields findings for one statement of the script; helpers for
the parse tree are in `migration_safety.tree`. The cases are judged against `cases.CASE_FACTS`: an
`orders` table of 1,000,000 rows that the application's code reads (`status`, `total`, `customer_id`),
and a 500-row `settings` table nobody's code reads.
"""

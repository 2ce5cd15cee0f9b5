"""Migration safety: review DDL before anyone approves it.

A plain-Python engine (no Django): `review(sql, facts)` parses the script with PostgreSQL's own
parser (pglast), says for each statement which lock it takes, what that lock blocks and whether it
rewrites the table, and runs every rule over it. Rules live one per module in `rules/`, each with its
must-fire and must-not cases beside it, as squawk and sqlfluff lay theirs out.
"""

from migration_safety.model import CodeQuery, Facts, Finding, Review, Rule, StatementReview, TableFacts
from migration_safety.registry import all_rules, rule_by_id
from migration_safety.review import review

__all__ = [
    "CodeQuery",
    "Facts",
    "Finding",
    "Review",
    "Rule",
    "StatementReview",
    "TableFacts",
    "all_rules",
    "review",
    "rule_by_id",
]

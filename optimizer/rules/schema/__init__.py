"""Rules that read schema facts (column types, nullability, indexes, foreign keys, row estimates).

Each one sets `needs_schema=True` and stays silent when the facts it needs are missing: it never guesses.
`ORDER` is the order `GET /rules` lists them in; every module of this folder must appear in it.
"""

ORDER = (
    "function_on_indexed_column",
    "case_insensitive_without_expression_index",
    "implicit_cast_column_type",
    "join_type_mismatch",
    "not_in_nullable_subquery",
    "order_by_limit_without_index",
    "unindexed_foreign_key_join",
    "like_without_pattern_index",
    "unfiltered_big_table_scan",
    "filter_without_index",
    "subquery_selects_outer_column",
)

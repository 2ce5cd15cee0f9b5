"""Rules that need only the query text: sqlcheck's anti-patterns and PostgreSQL planner traps.

`ORDER` is the order `GET /rules` lists them in; every module of this folder must appear in it.
"""

ORDER = (
    "select_star",
    "null_comparison",
    "or_chain_same_column",
    "leading_wildcard_like",
    "order_by_random",
    "distinct_with_join",
    "insert_without_columns",
    "having_without_aggregate",
    "deep_subquery_nesting",
    "union_without_all",
    "non_equi_join",
    "cartesian_product",
    "update_without_where",
    "delete_without_where",
    "not_in_subquery",
    "not_in_list_with_null",
    "deep_offset",
    "count_for_existence",
    "correlated_scalar_subquery",
    "correlated_subquery_filter",
    "huge_in_list",
    "date_function_equality",
    "for_update_without_nowait",
    "cte_multi_reference",
    "or_across_columns",
    "limit_without_order_by",
    "computation_on_column",
    "order_by_in_subquery",
    "too_many_joins",
    "like_without_wildcard",
)

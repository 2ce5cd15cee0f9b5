"""The world every rule's must-fire and must-not cases are judged in (see rules/__init__.py)."""

from migration_safety.model import CodeQuery, Facts, TableFacts

CASE_FACTS = Facts(
    tables={
        "orders": TableFacts(rows=1_000_000, size_bytes=180_000_000),
        "public.orders": TableFacts(rows=1_000_000, size_bytes=180_000_000),
        "customers": TableFacts(rows=50_000, size_bytes=9_000_000),
        "settings": TableFacts(rows=500, size_bytes=65_536),
    },
    code_queries=[
        CodeQuery("app/orders.py:42", "SELECT status, total FROM orders WHERE customer_id = $1"),
        CodeQuery("app/customers.py:7", "SELECT id, email FROM customers WHERE id = $1"),
    ],
)

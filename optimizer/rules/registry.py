"""The list every rule module appends to, and the decorator that does it."""

from __future__ import annotations

from optimizer.rules.model import Rule

RULES: list[Rule] = []


def rule(
    *,
    id: str,  # noqa: A002 - the rule's public name
    title: str,
    severity: str,
    explanation: str,
    fix: str,
    example: str = "",
    better: str = "",
    needs_schema: bool = False,
):
    def register(check):
        RULES.append(
            Rule(
                id=id,
                title=title,
                severity=severity,
                explanation=" ".join(explanation.split()),
                fix=" ".join(fix.split()),
                check=check,
                needs_schema=needs_schema,
                example=example,
                better=better,
            )
        )
        return check

    return register

"""Documentation of the rule engine: one page per rule, an index, and the same as JSON.

Public: the pages describe DBooster's rules, not anyone's data.
"""

from __future__ import annotations

import functools

from django.http import Http404
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import encoded_json
from dbooster.errors import NotFound
from optimizer.rewrites import REWRITE_RULES
from optimizer.rules import RULES, get_rule
from optimizer.templatetags.rule_text import inline_code

SEVERITY_BADGE = {"critical": "bad", "warning": "warn", "info": ""}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def rule_doc(rule) -> dict:
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "explanation": rule.explanation,
        "fix": rule.fix,
        "needs_schema": rule.needs_schema,
        "example": rule.example,
        "better": rule.better,
        "rewrite": REWRITE_RULES.get(rule.id),
        "doc_url": rule.doc_url,
    }


@functools.cache
def _rule_docs_encoded() -> bytes:
    """GET /rules: the rules are code, so the document is built and encoded once per process."""
    return JSONRenderer().render([rule_doc(r) for r in RULES])


def _page_rule(rule) -> dict:
    return {
        **rule_doc(rule),
        "badge": SEVERITY_BADGE.get(rule.severity, ""),
        "explanation_html": inline_code(rule.explanation),
        "fix_html": inline_code(rule.fix),
    }


def rule_index(request):
    rules = sorted(RULES, key=lambda r: (SEVERITY_ORDER.get(r.severity, 3), r.id))
    counts = {s: sum(1 for r in RULES if r.severity == s) for s in SEVERITY_ORDER}
    return render(
        request,
        "optimizer/rules/index.html",
        {"rules": [_page_rule(r) for r in rules], "counts": counts, "total": len(RULES)},
    )


def rule_detail(request, rule_id: str):
    rule = get_rule(rule_id)
    if rule is None:
        raise Http404(f"No rule {rule_id!r}.")
    return render(request, "optimizer/rules/detail.html", {"rule": _page_rule(rule)})


class RuleDocSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=["info", "warning", "critical"])
    explanation = serializers.CharField()
    fix = serializers.CharField()
    needs_schema = serializers.BooleanField(help_text="Silent unless schema metadata is available.")
    example = serializers.CharField(allow_blank=True)
    better = serializers.CharField(allow_blank=True)
    rewrite = serializers.CharField(allow_null=True, help_text="The deterministic rewrite this rule offers, if any.")
    doc_url = serializers.CharField()


class RuleListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: RuleDocSerializer(many=True)}, tags=["optimizer"], summary="The lint rules")
    def get(self, request):
        return encoded_json(_rule_docs_encoded())


class RuleDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: RuleDocSerializer}, tags=["optimizer"], summary="One lint rule")
    def get(self, request, rule_id):
        rule = get_rule(rule_id)
        if rule is None:
            raise NotFound(f"No rule {rule_id!r}.")
        return Response(rule_doc(rule))

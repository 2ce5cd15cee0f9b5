"""Every rule has a documentation page (HTML and JSON) that renders its explanation and fix."""

from __future__ import annotations

import html
import json

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import Resolver404, path, resolve
from rest_framework.test import APIRequestFactory

from dbooster.api import api_path
from optimizer import rule_views
from optimizer.rules import RULES

# The url lines the optimizer app's pages_urls.py / urls.py take (pages are mounted under /app/).
urlpatterns = [
    path("app/rules/", rule_views.rule_index, name="rule-index"),
    path("app/rules/<slug:rule_id>/", rule_views.rule_detail, name="rule-detail"),
    api_path("rules", rule_views.RuleListView.as_view(), name="rule-list"),
    api_path("rules/<slug:rule_id>", rule_views.RuleDetailView.as_view(), name="rule-json"),
]


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_page_renders(rule):
    response = rule_views.rule_detail(RequestFactory().get(rule.doc_url), rule.id)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert rule.title in page
    assert rule.explanation.replace("`", "") in page.replace("<code>", "").replace("</code>", "")
    assert rule.fix.replace("`", "") in page.replace("<code>", "").replace("</code>", "")
    assert rule.severity in page


def test_rule_text_is_escaped_and_inline_code_rendered():
    html_text = rule_views.inline_code("use `x <> 1` & <b>not</b> this")
    assert html_text == "use <code>x &lt;&gt; 1</code> &amp; &lt;b&gt;not&lt;/b&gt; this"


def test_unknown_rule_page_is_404():
    with pytest.raises(Http404):
        rule_views.rule_detail(RequestFactory().get("/app/rules/nope/"), "nope")


def test_rule_index_links_every_rule():
    response = rule_views.rule_index(RequestFactory().get("/app/rules/"))
    assert response.status_code == 200
    page = response.content.decode()
    for rule in RULES:
        assert f'href="/app/rules/{rule.id}/"' in page


def test_rule_json():
    factory = APIRequestFactory()
    listing = rule_views.RuleListView.as_view()(factory.get("/rules"))
    assert listing.status_code == 200 and listing["Content-Type"] == "application/json"
    assert {r["id"] for r in json.loads(listing.content)} == {r.id for r in RULES}
    # The rules are code: the document is encoded once per process, then served as it is.
    hits = rule_views._rule_docs_encoded.cache_info().hits
    assert rule_views.RuleListView.as_view()(factory.get("/rules")).content == listing.content
    assert rule_views._rule_docs_encoded.cache_info().hits == hits + 1
    one = rule_views.RuleDetailView.as_view()(factory.get("/rules/not-in-subquery"), rule_id="not-in-subquery")
    assert one.status_code == 200
    assert one.data["severity"] == "warning" and one.data["rewrite"]
    missing = rule_views.RuleDetailView.as_view()(factory.get("/rules/nope"), rule_id="nope")
    assert missing.status_code == 404


def _routed(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _check_routes(client, json: bool = True):
    for rule in RULES:
        assert client.get(f"/app/rules/{rule.id}/").status_code == 200
    assert client.get("/app/rules/").status_code == 200
    assert client.get("/app/rules/no-such-rule/").status_code == 404
    if not json:
        return
    assert client.get("/rules").json()[0]["id"] == RULES[0].id
    assert client.get("/rules/select-star/").json()["severity"] == "info"
    missing = client.get("/rules/no-such-rule")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.urls("optimizer.tests.test_rules_docs")
@pytest.mark.django_db
def test_rule_url_lines_serve_pages_and_json(client):
    _check_routes(client)


@pytest.mark.skipif(not _routed("/app/rules/select-star/"), reason="rule page urls not wired into pages_urls yet")
@pytest.mark.django_db
def test_rule_pages_through_the_site_urls(client):
    _check_routes(client, json=_routed("/rules"))

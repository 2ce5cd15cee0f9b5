"""The API's content negotiation answers exactly as DRF's own, for the requests it answers without DRF's parsing."""

from __future__ import annotations

import pytest
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from dbooster.negotiation import ContentNegotiation

ACCEPTS = [None, "*/*", "application/json", "text/html", "application/json; indent=4", "application/xml", "*/*;q=0.1"]
QUERIES = ["", "page=2", "format=json", "format=api", "%66ormat=api", "reformat=1", "format=xml"]
RENDERER_SETS = [
    [JSONRenderer(), BrowsableAPIRenderer()],
    [BrowsableAPIRenderer(), JSONRenderer()],
    [TemplateHTMLRenderer(), JSONRenderer()],
]


def negotiate(negotiation, accept, query, renderers):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    request = Request(APIRequestFactory().get("/projects" + (f"?{query}" if query else ""), **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except (Http404, exceptions.NotAcceptable) as exc:
        return type(exc).__name__
    return renderers.index(renderer), media_type


@pytest.mark.parametrize("renderers", RENDERER_SETS, ids=["json-first", "browsable-first", "html-first"])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_same_answer_as_drf(accept, query, renderers):
    assert negotiate(ContentNegotiation(), accept, query, renderers) == negotiate(
        DefaultContentNegotiation(), accept, query, renderers
    )


def test_a_plain_request_is_answered_without_parsing_its_query_or_accept_header():
    request = Request(APIRequestFactory().get("/projects"))
    renderer, media_type = ContentNegotiation().select_renderer(request, [JSONRenderer(), BrowsableAPIRenderer()])
    assert (type(renderer), media_type) == (JSONRenderer, "application/json")
    assert not hasattr(request, "_parsed_accept_list")  # DRF's path parses and keeps the Accept tokens


def test_the_api_negotiates_with_it():
    assert isinstance(APIView().get_content_negotiator(), ContentNegotiation)

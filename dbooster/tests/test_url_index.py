"""The root URLconf, resolved by first segment, answers every path exactly as Django's resolver over the same list."""

from __future__ import annotations

import pytest
from django.urls import URLResolver, get_resolver, re_path, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from dbooster.url_index import IndexedResolver, _flattened, first_segment, indexed


def _view(request):
    return None


def plain_resolver() -> URLResolver:
    """Django's own resolution of the very same patterns, in the same order, without the index."""
    (index,) = get_resolver().url_patterns
    assert isinstance(index, IndexedResolver)
    return URLResolver(RegexPattern(r"^/"), [URLResolver(RoutePattern(""), index.url_patterns)])


def sample_paths() -> list[str]:
    """A path for every API pattern (each captured part filled in), and paths that take the other turns."""
    (index,) = get_resolver().url_patterns
    paths = []
    for pattern in _flattened(index.url_patterns):
        regex, name = pattern.pattern.regex, getattr(pattern, "name", None)  # includes have no name
        if regex.groupindex and name:
            kwargs = {
                name: "7" if "pk" in name or name in ("cid", "rid", "sid", "pid", "run", "index") else "abc"
                for name in regex.groupindex
            }
            paths.append(reverse(name, kwargs=kwargs))
        elif name:
            paths.append(reverse(name))
    return paths + [
        "/users/me/",
        "/projects",
        "/projects/",
        "/projects/x",
        "/projects/7/unknown",
        "/nope",
        "/",
        "",
        "/app/",
        "/app/projects/",
        "/admin/",
        "/admin/login/",
        "/accounts/login/",
        "/accounts/",
        "/openapi.json",
        "/openapiXjson",
        "/health/",
        "/healthy",
        "/health\n",
        "/users",
        "/users/me/sessions/3",
        "/notifications/read-all",
        "/rules/some-rule",
        "/audit/export.csv",
        "/static/x.css",
        "//users/me",
    ]


def outcome(resolver, path):
    try:
        match = resolver.resolve(path)
    except Exception as exc:  # a 404 must be the same 404
        return type(exc).__name__, exc.args[0].get("path") if exc.args and isinstance(exc.args[0], dict) else None
    return match.func, match.args, match.kwargs, match.url_name, match.route, match.namespaces, match.app_names


def test_every_path_resolves_as_without_the_index():
    plain, indexed_root = plain_resolver(), get_resolver()
    paths = sample_paths()
    assert len(paths) > 120
    for path in paths:
        assert outcome(indexed_root, path) == outcome(plain, path), path


def test_a_path_tries_only_the_patterns_of_its_first_segment():
    # Without the index /notifications is tried against every pattern of the apps listed before it.
    assert len(get_resolver().resolve("/notifications").tried) <= 2
    assert len(plain_resolver().resolve("/notifications").tried) > 50


def test_reverse_and_namespaces_still_work():
    assert reverse("users-me") == "/users/me"
    assert reverse("admin:index") == "/admin/"
    assert reverse("account_login") == "/accounts/login/"


@pytest.mark.parametrize(
    "pattern, segment",
    [
        (re_path(r"^users/me/?$", _view), "users"),
        (re_path(r"^projects/?$", _view), "projects"),
        (re_path(r"^projects/(?P<pk>[0-9]+)/?$", _view), "projects"),
        (re_path(r"^audit/export\.csv/?$", _view), "audit"),
        (re_path(r"^openapi.json/?$", _view), None),  # "." is any character: not a fixed segment
        (re_path(r"^health", _view), None),  # no end: "healthy" matches too
        (re_path(r"^(?:users|teams)/?$", _view), None),
        (re_path(r"^[a-z]+/?$", _view), None),
        (re_path(r"users/?$", _view), None),  # not anchored
        (re_path(r"^s?/x$", _view), None),
        (re_path(r"^$", _view), ""),
    ],
)
def test_first_segment(pattern, segment):
    assert first_segment(pattern) == segment


def test_a_pattern_without_a_fixed_segment_is_tried_for_every_path():
    patterns = indexed([re_path(r"^users/x/?$", _view, name="fixed"), re_path(r"^[a-z]+/x/?$", _view, name="any")])
    resolver = URLResolver(RegexPattern(r"^/"), patterns)
    assert resolver.resolve("/users/x").url_name == "fixed"
    assert resolver.resolve("/teams/x").url_name == "any"

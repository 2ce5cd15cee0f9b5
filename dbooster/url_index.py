"""The root URLconf resolved by the path's first segment instead of by trying every pattern in turn.

Django resolves a path by trying the URLconf's patterns in order until one matches: for DBooster's API, which
includes each app's URLs under the empty prefix, a request to an app listed late tries every pattern of the apps
before it (a regular-expression match and a Resolver404 each). `indexed(patterns)` gives one resolver over the
same patterns that first picks, by the path's first segment, the patterns that can match it at all (a pattern
whose first segment is a literal can match no path with another one; a pattern whose first segment is not known
is kept for every path), then tries those in their original order: the first that matches is the one Django
would have found. A path none of them matches is resolved by Django over every pattern, so a 404 is Django's own.
Reversing, checks and the schema see the patterns exactly as written.
"""

from __future__ import annotations

from django.urls import Resolver404, URLPattern, URLResolver
from django.urls.resolvers import RoutePattern
from django.utils.functional import cached_property

_METACHARACTERS = frozenset(".^$*+?{}[]|()\\")
_QUANTIFIERS = frozenset("*+?{")


def indexed(patterns: list) -> list:
    """`urlpatterns = indexed([...])`: the same patterns, resolved through the first segment of the path."""
    return [IndexedResolver(RoutePattern(""), list(patterns))]


def _literal_prefix(regex: str) -> tuple[str, str] | None:
    """The literal text a regex anchored at the start requires first, and the rest of the regex; None if unanchored.

    A character that a quantifier follows is not required (`a?`), so it is left to the rest.
    """
    if not regex.startswith("^"):
        return None
    literal, i = [], 1
    while i < len(regex):
        char = regex[i]
        if char == "\\" and i + 1 < len(regex) and not regex[i + 1].isalnum():
            literal.append(regex[i + 1])  # an escaped punctuation mark is itself
            i += 2
            continue
        if char in _METACHARACTERS:
            break
        literal.append(char)
        i += 1
    rest = regex[i:]
    if rest[:1] in _QUANTIFIERS and rest and literal:
        rest = literal.pop() + rest
    return "".join(literal), rest


def first_segment(pattern) -> str | None:
    """The first segment of every path `pattern` can match ("users" for users/me), or None when it is not fixed."""
    parts = _literal_prefix(pattern.pattern.regex.pattern)
    if parts is None:
        return None
    literal, rest = parts
    if "/" in literal:
        return literal.split("/", 1)[0]
    # No slash yet: the segment ends here only if the pattern ends here (or at an optional trailing slash).
    # "$" ends a path only where Django matches the whole path (an endpoint's fullmatch); "\Z" always does.
    ends = ("\\Z", "/?\\Z") + (("$", "/?$") if isinstance(pattern, URLPattern) else ())
    return literal if rest in ends else None


def _flattened(patterns) -> list:
    """The patterns, with each include under the empty prefix (no namespace, no extra arguments) replaced by its own."""
    flat = []
    for pattern in patterns:
        if (
            isinstance(pattern, URLResolver)
            and pattern.pattern.regex.pattern in ("^", "")
            and not (pattern.namespace or pattern.app_name or pattern.default_kwargs)
        ):
            flat.extend(_flattened(pattern.url_patterns))
        else:
            flat.append(pattern)
    return flat


class IndexedResolver(URLResolver):
    """A resolver under the empty prefix whose `resolve` tries only the patterns that can match the first segment."""

    @cached_property
    def _by_first_segment(self) -> tuple[dict[str, URLResolver], URLResolver]:
        """A resolver per first segment some pattern names, and one for paths whose first segment none names.

        Each holds, in their original order, the patterns naming that segment and those whose first segment is not
        fixed; includes under the empty prefix are looked into, so their patterns are indexed too.
        """
        patterns = _flattened(self.url_patterns)
        segments = [first_segment(pattern) for pattern in patterns]
        unfixed = [pattern for pattern, segment in zip(patterns, segments, strict=True) if segment is None]
        buckets = {}
        for segment in dict.fromkeys(s for s in segments if s is not None):
            chosen = [p for p, s in zip(patterns, segments, strict=True) if s is None or s == segment]
            buckets[segment] = URLResolver(RoutePattern(""), chosen)
        return buckets, URLResolver(RoutePattern(""), unfixed)

    def resolve(self, path):
        path = str(path)
        buckets, others = self._by_first_segment
        candidates = buckets.get(path.split("/", 1)[0], others)
        try:
            return candidates.resolve(path)
        except Resolver404:  # a 404 (and the patterns it lists) is Django's own
            return super().resolve(path)

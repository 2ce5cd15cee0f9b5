"""Server-side SQL highlighting for the query list: keywords, literals, parameters. Output is escaped HTML."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

KEYWORDS = (
    "select from where and or not in is null join left right inner outer full cross on using group by order "
    "having limit offset insert into values update set delete returning with as distinct union all except "
    "intersect case when then else end exists between like ilike create table index view alter drop truncate "
    "merge matched conflict do nothing asc desc for skip locked nowait lateral window over partition"
).split()
_TOKEN = re.compile(
    r"(?P<str>'(?:[^']|'')*')|(?P<param>\$\d+)|(?P<comment>--[^\n]*)|(?P<word>\b[A-Za-z_]+\b)", re.IGNORECASE
)
_KEYWORD_SET = set(KEYWORDS)


def highlight_sql(text: str) -> SafeString:
    parts = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(escape(text[last : match.start()]))
        token = match.group(0)
        kind = match.lastgroup
        if kind == "word" and token.lower() not in _KEYWORD_SET:
            parts.append(escape(token))
        else:
            css = "kw" if kind == "word" else kind
            parts.append(f'<span class="sql-{css}">{escape(token)}</span>')
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))

"""List pages a worker answers from memory while the rows they show are unchanged.

`GET /projects` and `GET /notifications` are read far more often than what they show changes (the pages poll
them). Each such list depends only on rows whose every committed change raises a data version in the same
transaction: the `dbooster_bump_data_versions` triggers (`dbooster.models.DataVersion`) raise the organization's
for projects and the recipient's for notifications. The bearer-token sign-in reads the user's data version (the
two summed) in the statement that reads the user, so asking whether anything changed costs no query.

Why an answer is never older than the data: the version is read before the page (an earlier statement, an
earlier snapshot), so a page kept under version V shows the data of V or newer; a request that reads V was
signed in before any later change was committed, so the page is at least as new as what it could have read.
A change rolled back raises nothing. Every other change (the ORM, `QuerySet.update`, raw SQL, another worker or
host, the admin) goes through the triggers. A deployment starts new processes with nothing kept.

Only requests signed in with a bearer token carry a data version (`accounts.selectors.user_signing_in`); the
pages' own session requests are answered as always. The key holds everything else the answer depends on: the
view, the full address (pagination's links are built from it), the user, their role and organization.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

from django.db import connection, transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

PAGES_KEPT = 256  # per process, least recently used first out


class LeastRecentlyUsed:
    """Values by key, at most `size` of them, the least recently used first out; safe across a worker's threads.

    What a worker keeps under a data version (these pages, `optimizer.selectors`' current projects): a key holds the
    version, so a changed row is a new key and the old one simply ages out."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)  # a key put again is used now too
            while len(self._values) > self.size:
                self._values.popitem(last=False)


_pages = LeastRecentlyUsed(PAGES_KEPT)


def answered_from_memory(method):
    """Decorates a list view's `get(self, request)` whose answer depends only on rows the data versions cover."""

    @functools.wraps(method)
    def get(view, request, *args, **kwargs):
        user = request.user
        version = getattr(user, "data_version", None)
        if version is None or not _plain_json(request):
            return method(view, request, *args, **kwargs)
        key = (type(view), request.build_absolute_uri(), user.pk, user.role, user.organization_id, version)
        kept = _pages.get(key)
        if kept is not None:
            return _Rendered(*kept)
        response = method(view, request, *args, **kwargs)
        if type(response) is Response and response.status_code == 200:
            # Encoded once, as DRF's JSON renderer encodes it for this request (its context holds no choice).
            content = request.accepted_renderer.render(response.data, _JSON, {"request": request, "view": view})
            _pages.put(key, (response.data, content))
        return response

    return get


_JSON = "application/json"


def _plain_json(request) -> bool:
    """The request was answered in DRF's JSON, with no media-type parameter (`indent=`) asked for."""
    return type(request.accepted_renderer) is JSONRenderer and request.accepted_media_type == _JSON


class _Rendered(Response):
    """A 200 whose JSON was encoded when the page was first answered; `data` is the same page, for readers of it.

    DRF's `rendered_content` sets the Content-Type its JSON renderer names (`application/json`, no charset) and
    encodes `data`: the first is done here, the second was done already.
    """

    def __init__(self, data, content: bytes):
        super().__init__(data)
        self._encoded = content

    @property
    def rendered_content(self):
        self["Content-Type"] = _JSON
        return self._encoded


# Folds each key's rows into one of the same weight, in one statement: a reader sees the old rows or the new one,
# the same sum either way. Only the rows this statement's snapshot sees are deleted (and summed); a row a trigger
# adds meanwhile stays beside the folded one. Two runs at once: the second skips what the first deleted.
_COMPACT = """
WITH many AS (SELECT scope, key FROM data_versions GROUP BY scope, key HAVING count(*) > 1),
     folded AS (DELETE FROM data_versions d USING many WHERE d.scope = many.scope AND d.key = many.key
                RETURNING d.scope, d.key, d.weight)
INSERT INTO data_versions (scope, key, weight) SELECT scope, key, sum(weight) FROM folded GROUP BY scope, key
"""


def compact_data_versions() -> int:
    """One row per key again (run every minute: the sign-in query sums a key's rows on every request)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_COMPACT)
        return cursor.rowcount

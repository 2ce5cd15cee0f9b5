"""Small helpers the server-rendered pages of every app share."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator


def page_of(request, queryset, per_page: int = 50):
    """The page of `queryset` named by `?page=` (the last one when it is past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def local_path(url: str) -> str:
    """`url` as a path on this site, or "" (a redirect never leaves the site)."""
    site = settings.SITE_URL.rstrip("/")
    if url.startswith(site + "/"):
        url = url[len(site) :]
    return url if url.startswith("/") and not url.startswith("//") else ""

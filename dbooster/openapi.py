"""OpenAPI schema adjustments (drf-spectacular hooks, listed in SPECTACULAR_SETTINGS)."""

from rest_framework import serializers


def documented_paths(result, generator, request, public):
    """Show each path as the seed documents it: `/auth/refresh`, not `/auth/refresh/`.

    Our routes (`dbooster.api.api_path`) answer both spellings; drf-spectacular
    renders the optional slash as a trailing one.
    """
    result["paths"] = {(path.rstrip("/") or "/"): operations for path, operations in result.get("paths", {}).items()}
    return result


_paginated_cache: dict = {}


def paginated(serializer_class):
    """The schema of a page from `dbooster.api.Pagination` holding `serializer_class` items.

    For views that paginate by hand (APIView), which drf-spectacular cannot see:
    `@extend_schema(responses={200: paginated(ProjectSerializer)}, operation_id="projects_list")`
    (the operation_id, because drf-spectacular names a non-array GET like the detail view's).
    """
    if serializer_class not in _paginated_cache:
        name = serializer_class.__name__.removesuffix("Serializer")
        _paginated_cache[serializer_class] = type(
            f"Paginated{name}ListSerializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(help_text="Items in all pages."),
                "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
                "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null."),
                "results": serializer_class(many=True),
                "__module__": serializer_class.__module__,
            },
        )
    return _paginated_cache[serializer_class]

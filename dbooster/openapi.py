"""OpenAPI schema adjustments (drf-spectacular hooks, listed in SPECTACULAR_SETTINGS)."""


def documented_paths(result, generator, request, public):
    """Show each path as the seed documents it: `/auth/refresh`, not `/auth/refresh/`.

    Our routes (`dbooster.api.api_path`) answer both spellings; drf-spectacular
    renders the optional slash as a trailing one.
    """
    result["paths"] = {(path.rstrip("/") or "/"): operations for path, operations in result.get("paths", {}).items()}
    return result

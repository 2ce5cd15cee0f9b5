from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def _database() -> dict:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('server_version')")
            version = cur.fetchone()[0]
        return {"status": "ok", "version": version}
    except Exception as exc:  # health must answer whatever broke
        return {"status": "error", "error": exc.__class__.__name__}


def _queue() -> dict:
    """Jobs waiting and workers seen recently (procrastinate's own tables)."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
            counts = dict(cur.fetchall())
            cur.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '1 minute'")
            workers = cur.fetchone()[0]
        return {
            "status": "ok" if workers else "no_worker",
            "workers": workers,
            "todo": counts.get("todo", 0),
            "doing": counts.get("doing", 0),
            "failed": counts.get("failed", 0),
        }
    except Exception as exc:
        return {"status": "error", "error": exc.__class__.__name__}


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(tags=["health"])
    def get(self, request):
        db, queue = _database(), _queue()
        healthy = db["status"] == "ok"
        return Response(
            {"status": "ok" if healthy else "error", "database": db, "queue": queue},
            status=200 if healthy else 503,
        )

import time

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster import jobs


def _database() -> dict:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('server_version')")
            version = cur.fetchone()[0]
        return {"status": "ok", "version": version}
    except Exception as exc:  # health must answer whatever broke
        return {"status": "error", "error": exc.__class__.__name__}


# (monotonic time it was read, the queue part): this process's last look at the queue.
_queue_seen: tuple[float, dict] | None = None


def _queue() -> dict:
    """The queue part, read at most every HEALTH_QUEUE_TTL_S seconds by each server process.

    Probes and load balancers call /health often; its job counts and worker heartbeats move on the scale of
    seconds, so reading them once per interval (four queries) keeps /health down to its one database ping.
    """
    global _queue_seen
    ttl = settings.HEALTH_QUEUE_TTL_S
    now = time.monotonic()
    if _queue_seen is not None and now - _queue_seen[0] < ttl:
        return _queue_seen[1]
    facts = _read_queue()
    if facts["status"] != "error":  # an error is asked again next time
        _queue_seen = (now, facts)
    return facts


def _read_queue() -> dict:
    """Jobs waiting and workers seen recently (procrastinate's own tables)."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
            counts = dict(cur.fetchall())
            cur.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '1 minute'")
            workers = cur.fetchone()[0]
        stuck = jobs.stalled_job_count()
        return {
            "status": "stuck_jobs" if stuck else ("ok" if workers else "no_worker"),
            "workers": workers,
            "todo": counts.get("todo", 0),
            "doing": counts.get("doing", 0),
            "failed": counts.get("failed", 0),
            "stuck": stuck,
            "oldest_queued_age_s": jobs.oldest_queued_age_s(),
        }
    except Exception as exc:
        return {"status": "error", "error": exc.__class__.__name__}


class DatabaseHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    version = serializers.CharField(required=False)
    error = serializers.CharField(required=False)


class QueueHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "no_worker", "stuck_jobs", "error"])
    workers = serializers.IntegerField(required=False, help_text="Workers with a heartbeat in the last minute.")
    todo = serializers.IntegerField(required=False)
    doing = serializers.IntegerField(required=False)
    failed = serializers.IntegerField(required=False)
    stuck = serializers.IntegerField(
        required=False, help_text="Jobs running on a worker that stopped sending heartbeats (JOB_STALLED_AFTER_S)."
    )
    oldest_queued_age_s = serializers.FloatField(
        required=False, allow_null=True, help_text="Seconds the oldest job that could run now has been waiting."
    )
    error = serializers.CharField(required=False)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    database = DatabaseHealthSerializer()
    queue = QueueHealthSerializer()


class HealthView(APIView):
    """Up when the database answers; the queue part says whether a worker is running."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer}, tags=["health"], auth=[])
    def get(self, request):
        db, queue = _database(), _queue()
        healthy = db["status"] == "ok"
        return Response(
            {"status": "ok" if healthy else "error", "database": db, "queue": queue},
            status=200 if healthy else 503,
        )

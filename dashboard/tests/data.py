"""Rows for the dashboard tests: projects with connections, health runs, syncs, workloads, suggestions, scanned
queries and proposals, so counts and lists have something to count."""

from __future__ import annotations

from django.utils import timezone

from approvals.models import Proposal
from health.models import HealthRun
from optimizer.models import OptimizationRun, Suggestion, WorkloadImport, WorkloadQuery
from repositories.models import ExtractedQuery, ScanRun
from schema_metadata.models import DatabaseConnection, DbTable, SchemaSync


def finding(check, severity, obj="public.t"):
    return {"check": check, "severity": severity, "title": check.replace("_", " "), "objects": [obj],
            "detail": f"{obj}: {check}", "why": "why", "fix": "fix", "fix_sql": "", "fix_kind": "", "data": {}}  # fmt: skip


def fill_project(project, *, n: int, tag: str):
    """`n` connections, each with an old and a new health run, a sync, synced tables and a workload; `n`
    optimizations with a measured suggestion, `n` scanned queries, `n` open proposals, a scan."""
    org = project.organization
    has_default = project.connections.filter(is_default=True).exists()
    for i in range(n):
        conn = DatabaseConnection.objects.create(project=project, name=f"{tag} db {i}", url="postgresql://x@h/db",
                                                 is_default=i == 0 and not has_default)  # fmt: skip
        HealthRun.objects.create(project=project, connection=conn, findings=[finding("old_problem", "critical")])
        HealthRun.objects.create(
            project=project, connection=conn,
            findings=[finding("invalid_indexes", "critical", f"public.{tag}_{i}"), finding("table_bloat", "warning"),
                      finding("top_queries_calls", "info")],
        )  # fmt: skip
        SchemaSync.objects.create(project=project, connection=conn, status="succeeded", finished_at=timezone.now())
        for t in range(2):
            DbTable.objects.create(connection=conn, schema_name="public", name=f"t{t}", size_bytes=1000 * (t + 1))
        workload = WorkloadImport.objects.create(project=project, connection=conn)
        WorkloadQuery.objects.create(workload=workload, query=f"SELECT {tag} {i}", fingerprint=f"{tag}-fp{i}",
                                     calls=100, total_time_ms=5000, saving_ms=None)  # fmt: skip
        WorkloadQuery.objects.create(workload=workload, query=f"SELECT advised {tag} {i}", fingerprint=f"{tag}-adv{i}",
                                     calls=10, total_time_ms=900, saving_ms=800)  # fmt: skip
        run = OptimizationRun.objects.create(project=project, organization=org, connection=conn,
                                             query=f"SELECT {tag} {i}", fingerprint=f"{tag}-fp{i}")  # fmt: skip
        Suggestion.objects.create(run=run, kind="index", sql=f"CREATE INDEX ON t{i} (a)", time_before_ms=30 + i,
                                  time_after_ms=10, speedup=3.0)  # fmt: skip
        query = ExtractedQuery.objects.create(project=project, fingerprint=f"{tag}-x{i}", normalized_text="SELECT 1",
                                              statement_type="select")  # fmt: skip
        Proposal.objects.create(organization=org, project=project, connection=conn, kind="index", title="idx",
                                sql="CREATE INDEX ON t (a)")  # fmt: skip
        assert query.pk
    ScanRun.objects.create(project=project, source="upload", status="succeeded", queries_found=n)

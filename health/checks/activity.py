"""Shared SQL and rendering for the checks that read pg_stat_activity of this database."""

ACTIVITY_COLUMNS = """
    pid, usename::text AS user_name, coalesce(application_name, '') AS application, state,
    left(query, 500) AS query, extract(epoch FROM now() - query_start)::float AS query_seconds,
    extract(epoch FROM now() - xact_start)::float AS xact_seconds,
    extract(epoch FROM now() - state_change)::float AS state_seconds
"""
THIS_DATABASE = "datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"


def session_label(r: dict) -> str:
    who = f"pid {r['pid']} ({r['user_name']}" + (f", {r['application']})" if r["application"] else ")")
    return who

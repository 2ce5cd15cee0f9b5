"""Signals other apps connect to (notifications)."""

from django.dispatch import Signal

# Sent when a schema sync succeeds or fails: sender=SchemaSync, sync=<SchemaSync>.
# Sent after the sync's outcome is committed, so receivers see the final state.
schema_sync_finished = Signal()

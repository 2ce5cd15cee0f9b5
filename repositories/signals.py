"""Signals other apps connect to (notifications)."""

from django.dispatch import Signal

# Sent with sender=ScanRun and scan=<ScanRun> when a scan succeeds or fails.
scan_finished = Signal()

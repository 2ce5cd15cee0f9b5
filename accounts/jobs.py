"""Queue the accounts e-mails for the worker (the job itself is accounts.tasks.send_account_email).

The job row is written in the caller's transaction (procrastinate's Django connector uses
Django's connection): the mail goes out if and only if the change that asked for it commits.
It holds a one-time code and link token, which the database must never hold in the clear:
the job's arguments carry them encrypted with FIELD_ENCRYPTION_KEYS.
"""

from __future__ import annotations

import json

from dbooster import crypto, jobs

SEND_EMAIL_TASK = "accounts.send_account_email"


def defer_account_email(*, kind: str, to: str, user_id: int | None, secrets: dict | None = None) -> None:
    """Queue e-mail `kind` (see accounts/tasks.py) to `to`, in the current transaction."""
    sealed = crypto.encrypt(json.dumps(secrets or {}))
    jobs.defer(SEND_EMAIL_TASK, kind=kind, to=to, user_id=user_id, sealed=sealed)

"""Re-encrypt every EncryptedTextField value under the newest key in FIELD_ENCRYPTION_KEYS.

Key rotation, step by step:
1. put the new key first: FIELD_ENCRYPTION_KEYS=<new>,<old> (both still read);
2. restart the app, then run `python manage.py rotate_encryption_keys`;
3. when it reports no failures, drop the old key: FIELD_ENCRYPTION_KEYS=<new>.

Works on the raw columns in batches (each batch locked and committed on its own), so
it never loads model instances or runs save() side effects, and can be run again
after an interruption: values already under the newest key are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from dbooster import crypto
from dbooster.fields import EncryptedTextField


@dataclass(frozen=True)
class EncryptedColumn:
    label: str  # "accounts.User.github_token", for people
    table: str
    pk_column: str
    column: str


@dataclass
class Tally:
    rotated: int = 0
    current: int = 0


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedTextField column of every installed model that owns a table."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for field in meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append(
                    EncryptedColumn(
                        label=f"{meta.app_label}.{meta.object_name}.{field.name}",
                        table=meta.db_table,
                        pk_column=meta.pk.column,
                        column=field.column,
                    )
                )
    return sorted(found, key=lambda c: c.label)


def _rotate_batch(col: EncryptedColumn, after, batch_size: int, dry_run: bool, tally: Tally):
    """Rotate one batch of rows with pk > `after`; returns the last pk seen, or None when done."""
    q = connection.ops.quote_name
    table, pk, column = q(col.table), q(col.pk_column), q(col.column)
    where_after = f"AND {pk} > %s" if after is not None else ""
    params = [after] if after is not None else []
    with transaction.atomic():
        with connection.cursor() as cur:
            # FOR UPDATE: a value the application changes meanwhile is not overwritten by a stale copy.
            cur.execute(
                f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL {where_after} "
                f"ORDER BY {pk} LIMIT %s FOR UPDATE",
                [*params, batch_size],
            )
            rows = cur.fetchall()
            updates = []
            for row_pk, token in rows:
                if crypto.is_current(token):
                    tally.current += 1
                    continue
                try:
                    updates.append((crypto.rotate(token), row_pk))
                except crypto.DecryptionError:
                    raise CommandError(
                        f"{col.label} of row {col.pk_column}={row_pk} cannot be decrypted with any key in "
                        "FIELD_ENCRYPTION_KEYS. Add the key it was written with (after the new one) and run "
                        "the command again; this batch was left unchanged."
                    ) from None
            if updates and not dry_run:
                cur.executemany(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", updates)
            tally.rotated += len(updates)
    return rows[-1][0] if rows else None


def rotate_column(col: EncryptedColumn, *, batch_size: int, dry_run: bool) -> Tally:
    tally = Tally()
    after = None
    while True:
        after = _rotate_batch(col, after, batch_size, dry_run, tally)
        if after is None:
            return tally


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the newest key in FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check that every value decrypts and count; write nothing."
        )

    def handle(self, *args, batch_size: int, dry_run: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        crypto.fernet()  # a bad FIELD_ENCRYPTION_KEYS fails here, before any table is touched
        columns = encrypted_columns()
        missing = sorted({c.table for c in columns} - set(connection.introspection.table_names()))
        if missing:
            raise CommandError(
                f"Tables missing: {', '.join(missing)}. Run `python manage.py migrate` first; nothing was changed."
            )
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        total = Tally()
        for col in columns:
            tally = rotate_column(col, batch_size=batch_size, dry_run=dry_run)
            total.rotated += tally.rotated
            total.current += tally.current
            self.stdout.write(f"{col.label}: {verb} {tally.rotated}, already under the newest key {tally.current}")
        self.stdout.write(
            self.style.SUCCESS(f"Done: {verb} {total.rotated} value(s); {total.current} already under the newest key.")
        )

"""Data versions: a counter per organization and per user that PostgreSQL itself raises on every committed change
to the rows an API list shows, so a worker can tell whether a page it answered before is still the answer."""

from django.db import models


class DataVersion(models.Model):
    """One committed change's worth (`weight`) of a key's data version: the version is the sum of its rows.

    Written by the `dbooster_bump_data_versions` triggers (see `dbooster.page_cache`), never by Python code.
    Triggers, not save() or signals: `QuerySet.update`, `bulk_create`, a raw statement, the admin and another
    process's writes all add a row, in the writing transaction, so the new version is visible exactly when the
    change is. A row is inserted, never updated: writers never wait for each other's locks (an updated counter
    row would be locked until its transaction commits, and two transactions raising two users' counters in
    opposite orders would deadlock). `compact_data_versions` folds a key's rows into one with the same sum.
    No foreign key: a version may outlive its organization or user (a delete raises it too).
    """

    class Scope(models.TextChoices):
        ORGANIZATION = "org"
        USER = "user"
        COUNTS = "counts"  # what an organization's dashboard counts (dashboard.cache), by organization

    scope = models.CharField(max_length=8, choices=Scope.choices)
    key = models.BigIntegerField()
    weight = models.BigIntegerField(default=1)

    class Meta:
        db_table = "data_versions"
        indexes = [models.Index(fields=["scope", "key"], include=["weight"], name="data_version_scope_key")]

    def __str__(self):
        return f"{self.scope} {self.key}: +{self.weight}"

"""Every request to an AI model, whoever made it (the optimizer, the assistant): tokens, cost and outcome per
organization. One counter over these rows is the plan's AI limit and the billing page's usage."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Purpose(models.TextChoices):
    OPTIMIZER = "optimizer", "Optimizer"
    CHAT = "chat", "Assistant chat"
    SQL = "sql", "Questions to SQL"
    REPORT = "report", "Report"


class ModelCall(models.Model):
    """One call to the model. Several calls may serve one user request (`request`): a chat answer's tool rounds,
    a SQL repair. The plan's AI limit counts requests that got an answer, not calls."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    request = models.UUIDField()
    model = models.CharField(max_length=200)
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    elapsed_ms = models.IntegerField(default=0)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=500, blank=True, default="")
    # A default rather than auto_now_add: the migration that brought the optimizer's earlier AI runs here kept
    # their dates.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "ai_model_calls"
        indexes = [models.Index(fields=["organization", "created_at"], name="ai_call_org_month")]

    def __str__(self) -> str:
        return f"{self.purpose} call to {self.model}"

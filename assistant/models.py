"""The assistant's records: conversations and their messages, the project's assistant settings, and every
model call with its tokens and cost (counted against the plan's AI limit, shown on the billing page)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Purpose(models.TextChoices):
    CHAT = "chat", "Chat"
    SQL = "sql", "Questions to SQL"
    REPORT = "report", "Report"


class AssistantSettings(models.Model):
    """Per project. Row values reach the model only where `share_row_values` is on (off by default)."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="assistant_settings")
    share_row_values = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"assistant settings of project {self.project_id}"


class Conversation(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="conversations")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"
        TOOL = "tool", "Tool"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True, default="")
    # Assistant turns: the tool calls the model asked for ({id, name, arguments}); tool turns: which call this
    # answers and the SQL it ran.
    tool_calls = models.JSONField(default=list, blank=True)
    tool_call_id = models.CharField(max_length=100, blank=True, default="")
    tool_name = models.CharField(max_length=100, blank=True, default="")
    sql = models.JSONField(default=list, blank=True)
    proposals = models.JSONField(default=list, blank=True)  # ids of the draft proposals this turn made
    error = models.TextField(blank=True, default="")
    model = models.CharField(max_length=200, blank=True, default="")
    elapsed_ms = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class ModelCall(models.Model):
    """One request to the model: what it cost, for whom, and whether it answered."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    request = models.UUIDField()  # one user request (a chat answer, a SQL question) may make several calls
    model = models.CharField(max_length=200)
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    elapsed_ms = models.IntegerField(default=0)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} call to {self.model}"

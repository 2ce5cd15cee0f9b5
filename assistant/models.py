"""The assistant's records: conversations and their messages, and the project's assistant settings. Its model
calls (tokens, cost) are recorded by `ai_usage`, with the optimizer's."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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

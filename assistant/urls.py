from assistant import api
from dbooster.api import api_path

urlpatterns = [
    api_path("projects/<int:pk>/assistant/status", api.AssistantStatusView.as_view(), name="assistant-status"),
]

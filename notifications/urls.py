from dbooster.api import api_path
from notifications import api

urlpatterns = [
    api_path("notifications", api.NotificationListView.as_view(), name="notification-list"),
    api_path("notifications/read-all", api.NotificationReadAllView.as_view(), name="notification-read-all"),
    api_path("notifications/preferences", api.NotificationPreferencesView.as_view(), name="notification-preferences"),
    api_path("notifications/<int:pk>/read", api.NotificationReadView.as_view(), name="notification-read"),
]

from django.urls import path

from workflow import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read-page"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export-page"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/new/", views.approval_submit, name="approval-submit-page"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval-page"),
    path("approvals/<int:pk>/status.json", views.approval_status, name="approval-status-page"),
    path(
        "approvals/<int:pk>/<str:action>/",
        views.approval_action,
        name="approval-action-page",
    ),
]

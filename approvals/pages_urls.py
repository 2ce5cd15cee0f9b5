from django.urls import path

from approvals import views

urlpatterns = [
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/new/", views.approval_submit, name="approval-submit-page"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval-page"),
    path(
        "approvals/<int:pk>/<str:action>/",
        views.approval_action,
        name="approval-action-page",
    ),
    path("migration-rules/", views.migration_rule_index, name="page-migration-rules"),
    path("migration-rules/<str:rule_id>/", views.migration_rule_detail, name="page-migration-rule"),
]

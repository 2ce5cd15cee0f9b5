from django.urls import path

from schema_metadata import views

urlpatterns = [
    path("databases/", views.databases, name="page-databases"),
    path("projects/<int:pk>/connections/new/", views.connection_create, name="page-connection-create"),
    path("projects/<int:pk>/connections/demo/", views.connection_create_demo, name="page-connection-demo"),
    path("projects/<int:pk>/connections/<int:cid>/", views.connection_edit, name="page-connection-edit"),
    path("projects/<int:pk>/connections/<int:cid>/test/", views.connection_test, name="page-connection-test"),
    path("projects/<int:pk>/connections/<int:cid>/sync/", views.connection_sync, name="page-connection-sync"),
    path("projects/<int:pk>/connections/<int:cid>/delete/", views.connection_delete, name="page-connection-delete"),
    path("projects/<int:pk>/schema/", views.schema_browser, name="page-schema"),
    path("projects/<int:pk>/explain/", views.explain_page, name="page-explain"),
    path("analyses/<int:pk>/", views.analysis_detail, name="page-analysis"),
    path("analyses/compare/", views.compare_analyses_page, name="page-analyses-compare"),
    path("syncs/<int:pk>/status.json", views.sync_status, name="page-sync-status"),
    path("plans/", views.paste_plan_page, name="page-paste-plan"),
]

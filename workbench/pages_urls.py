from django.urls import path

from workbench import views

urlpatterns = [
    path("workbench/", views.workbench_home, name="page-workbench"),
    path("projects/<int:pk>/sql/", views.sql_editor, name="page-sql-editor"),
    path("projects/<int:pk>/tables/", views.table_list, name="page-tables"),
    path("projects/<int:pk>/tables/<str:table>/", views.table_browser, name="page-table"),
    path("projects/<int:pk>/indexes/", views.index_list, name="page-indexes"),
    path("projects/<int:pk>/schema-changes/new/", views.schema_builder, name="page-schema-builder"),
]

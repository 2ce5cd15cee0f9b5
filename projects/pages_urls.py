from django.urls import path

from projects import views

urlpatterns = [
    path("projects/", views.project_list, name="page-projects"),
    path("projects/new/", views.project_create, name="page-project-create"),
    path("projects/<int:pk>/edit/", views.project_edit, name="page-project-edit"),
    path("projects/<int:pk>/delete/", views.project_delete, name="page-project-delete"),
]

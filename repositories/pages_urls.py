from django.urls import path

from repositories import views

urlpatterns = [
    path("repositories/", views.repositories_page, name="page-repositories"),
    path("repositories/connect/", views.repository_connect, name="page-repository-connect"),
    path("repositories/scan/", views.scan_start, name="page-scan-start"),
    path("repositories/upload/", views.scan_upload, name="page-scan-upload"),
    path("scans/<int:pk>/", views.scan_page, name="page-scan"),
    path("projects/<int:pk>/queries/", views.query_list_page, name="page-project-queries"),
]

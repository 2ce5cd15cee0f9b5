from dbooster.api import api_path
from repositories import api

urlpatterns = [
    api_path("repos", api.GitHubRepositoryListView.as_view(), name="github-repos"),
    api_path("repos/scan", api.ScanStartView.as_view(), name="scan-start"),
    api_path("repos/scan/upload", api.ScanUploadView.as_view(), name="scan-upload"),
    api_path("repos/scans/<int:pk>", api.ScanDetailView.as_view(), name="scan-detail"),
    api_path("projects/<int:pk>/repositories", api.ProjectRepositoryListView.as_view(), name="project-repositories"),
    api_path("projects/<int:pk>/scans", api.ProjectScanListView.as_view(), name="project-scans"),
    api_path("projects/<int:pk>/queries", api.ProjectQueryListView.as_view(), name="project-queries"),
]

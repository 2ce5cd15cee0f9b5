from dbooster.api import api_path
from projects import api

urlpatterns = [
    api_path("projects", api.ProjectListView.as_view(), name="project-list"),
    api_path("projects/<int:pk>", api.ProjectDetailView.as_view(), name="project-detail"),
    api_path("projects/<int:pk>/current", api.CurrentProjectView.as_view(), name="project-current"),
]

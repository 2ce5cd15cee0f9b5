from django.urls import path

from health import views

urlpatterns = [
    path("projects/<int:pk>/health/", views.health_page, name="page-health"),
    path("projects/<int:pk>/health/run/", views.health_run_page, name="page-health-run"),
    path(
        "projects/<int:pk>/health/runs/<int:run>/findings/<int:index>/propose/",
        views.health_propose_page,
        name="page-health-propose",
    ),
]

from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/<int:pk>/", views.project_page, name="page-project"),
    path("explain/", views.explain_entry, name="page-explain-entry"),
    path("health/", views.health_entry, name="page-health-entry"),
    path("setup/<str:service>/", views.setup_page, name="page-setup"),
    path("approvals/<int:pk>/measure/", views.measure_again, name="page-measure-again"),
]

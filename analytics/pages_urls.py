from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/", views.analytics_home, name="page-analytics-home"),
    path("projects/<int:pk>/analytics/", views.analytics_page, name="page-analytics"),
    path("projects/<int:pk>/analytics/snapshot/", views.snapshot_now_page, name="page-analytics-snapshot"),
    path("projects/<int:pk>/analytics/queries/<slug:fp>/", views.query_history_page, name="page-analytics-query"),
]

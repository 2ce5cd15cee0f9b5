from django.urls import path

from optimizer import rule_views, views

urlpatterns = [
    path("optimize/", views.optimize_page, name="page-optimize"),
    path("optimize/<int:pk>/", views.optimization_page, name="page-optimization"),
    path("workload/", views.workload_page, name="page-workload"),
    path("workload/<int:pk>/", views.workload_result_page, name="page-workload-result"),
    path("rules/", rule_views.rule_index, name="page-rules"),
    path("rules/<str:rule_id>/", rule_views.rule_detail, name="page-rule"),
]

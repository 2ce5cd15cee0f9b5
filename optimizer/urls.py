from dbooster.api import api_path
from optimizer import api, rule_views

urlpatterns = [
    api_path("query/optimize", api.OptimizeView.as_view(), name="query-optimize"),
    api_path("query/optimize/<int:pk>", api.OptimizationDetailView.as_view(), name="optimization-detail"),
    api_path("projects/<int:pk>/optimizations", api.ProjectOptimizationsView.as_view(), name="project-optimizations"),
    api_path("query/workload/advise", api.WorkloadAdviseView.as_view(), name="workload-advise"),
    api_path("query/workload/<int:pk>", api.WorkloadDetailView.as_view(), name="workload-detail"),
    api_path("rules", rule_views.RuleListView.as_view(), name="rule-list"),
    api_path("rules/<slug:rule_id>", rule_views.RuleDetailView.as_view(), name="rule-json"),
]

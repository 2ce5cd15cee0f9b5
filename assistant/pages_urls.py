from django.urls import path

from assistant import report_views, views

urlpatterns = [
    path("projects/<int:pk>/assistant/", views.chat_page, name="page-assistant"),
    path("projects/<int:pk>/report/", report_views.report_page, name="page-assistant-report"),
]

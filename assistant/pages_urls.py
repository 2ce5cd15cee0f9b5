from django.urls import path

from assistant import views

urlpatterns = [
    path("projects/<int:pk>/assistant/", views.chat_page, name="page-assistant"),
]

from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.login_page, name="page-login"),
    path("signup/", views.signup_page, name="page-signup"),
    path("logout/", views.logout_page, name="page-logout"),
]

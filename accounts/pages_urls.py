from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="page-login"),
    path("signup/", views.signup_page, name="page-signup"),
    path("logout/", views.logout_page, name="page-logout"),
    path("verify/", views.verify_page, name="page-verify"),
    path("verify/resend/", views.resend_code_page, name="page-resend-code"),
    path("forgot-password/", views.forgot_password_page, name="page-forgot-password"),
    path("reset-password/", views.reset_password_page, name="page-reset-password"),
    path("profile/", views.profile_page, name="page-profile"),
    path("sessions/", views.sessions_page, name="page-sessions"),
]

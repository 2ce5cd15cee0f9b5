from accounts import api
from dbooster.api import api_path

urlpatterns = [
    api_path("auth/signup", api.SignupView.as_view(), name="auth-signup"),
    api_path("auth/login", api.LoginView.as_view(), name="auth-login"),
    api_path("auth/refresh", api.RefreshView.as_view(), name="auth-refresh"),
    api_path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    api_path("users/me", api.MeView.as_view(), name="users-me"),
]

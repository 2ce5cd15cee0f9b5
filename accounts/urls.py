from accounts import api
from dbooster.api import api_path

urlpatterns = [
    api_path("auth/signup", api.SignupView.as_view(), name="auth-signup"),
    api_path("auth/login", api.LoginView.as_view(), name="auth-login"),
    api_path("auth/refresh", api.RefreshView.as_view(), name="auth-refresh"),
    api_path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    api_path("auth/google", api.ProviderStartView.as_view(provider_id="google"), name="auth-google"),
    api_path("auth/github", api.ProviderStartView.as_view(provider_id="github"), name="auth-github"),
    api_path("auth/complete", api.OAuthCompleteView.as_view(), name="auth-oauth-complete"),
    api_path("auth/token", api.TokenExchangeView.as_view(), name="auth-token"),
    api_path("users/me", api.MeView.as_view(), name="users-me"),
]

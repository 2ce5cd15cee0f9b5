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
    api_path("auth/verify", api.VerifyView.as_view(), name="auth-verify"),
    api_path("auth/resend-code", api.ResendCodeView.as_view(), name="auth-resend-code"),
    api_path("auth/forgot-password", api.ForgotPasswordView.as_view(), name="auth-forgot-password"),
    api_path("auth/forgot-password/verify", api.ForgotPasswordVerifyView.as_view(), name="auth-forgot-password-verify"),
    api_path("auth/password/check", api.PasswordCheckView.as_view(), name="auth-password-check"),
    api_path("users/me", api.MeView.as_view(), name="users-me"),
    api_path("users/me/password", api.MePasswordView.as_view(), name="users-me-password"),
    api_path("users/me/sessions", api.SessionListView.as_view(), name="users-me-sessions"),
    api_path("users/me/sessions/<int:pk>", api.SessionDetailView.as_view(), name="users-me-session"),
]

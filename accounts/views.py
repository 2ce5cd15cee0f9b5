"""Account pages: sign-in, sign-up, e-mail verification, forgotten password, profile, sessions.

The pages use the Django session (the API uses JWT) and the same services, rate limits and
messages as the API."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.api import CODE_SENT, RESET_SENT, SIGNUP_ACCEPTED
from audit import services as audit
from dbooster.errors import Conflict, DomainError, InvalidInput
from dbooster.ratelimit import rate_limited
from organizations.page_access import role_required, safe_next

logger = logging.getLogger(__name__)

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def sign_in_providers(next_url: str) -> list[dict]:
    """Google and GitHub buttons: enabled when configured, else disabled with the settings to set.

    `accounts.oauth.provider_status()` is the single source of truth; should it fail to
    import (a broken install), the buttons still show, disabled, with a clear hint.
    """
    try:
        from accounts.oauth import provider_status

        providers = provider_status()
    except Exception:  # the page must render even if the OAuth module is broken
        logger.exception("accounts.oauth.provider_status() failed; showing the providers as unavailable")
        providers = [
            {"id": "google", "name": "Google", "configured": False, "hint": "Google sign-in is unavailable."},
            {"id": "github", "name": "GitHub", "configured": False, "hint": "GitHub sign-in is unavailable."},
        ]
    query = urlencode({"next": next_url})
    return [
        {**p, "url": f"{p.get('start_url') or '/auth/' + p['id']}?{query}"}
        for p in providers
        if p.get("id") in ("google", "github")
    ]


class LoginForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    full_name = forms.CharField(max_length=255, required=False, label="Full name (optional)")
    password1 = forms.CharField(
        max_length=128, label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        max_length=128, label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    organization = forms.CharField(
        max_length=200,
        required=False,
        label="Organization name (optional)",
        help_text="Leave empty for a personal organization; an invitation can move you to a team later.",
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        return data


@role_required(needs_organization=False)
def home(request):
    return render(request, "home.html")


@require_http_methods(["GET", "POST"])
@rate_limited("sign_in", account_field="email")
def login_page(request):
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if user is None:
            audit.record(action="auth.login", outcome="failure", request=request, metadata={"email": email})
            form.add_error(None, "E-mail or password is wrong.")
        else:
            login(request, user, backend=PASSWORD_BACKEND)
            audit.record(action="auth.login", actor=user, target=user, request=request)
            return redirect(next_url)
    context = {"form": form, "next": next_url, "providers": sign_in_providers(next_url)}
    return render(request, "accounts/login.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@rate_limited("sign_up", account_field="email")
def signup_page(request):
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), default="/app/projects/")
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_signup(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"] or None,
                organization_name=data["organization"] or None,
            )
        except InvalidInput as exc:
            form.add_error("password1" if exc.code == "weak_password" else None, exc.detail)
        except Conflict as exc:
            form.add_error("organization" if exc.code == "name_taken" else "email", exc.detail)
        else:
            if user is not None:
                audit.record(action="auth.signup", actor=user, target=user, request=request)
            # The same page follows whether or not the address already had an account.
            email = data["email"].lower()
            messages.success(request, SIGNUP_ACCEPTED.format(email=email))
            return redirect(_with_query("/app/verify/", email=email, next=next_url))
    context = {"form": form, "next": next_url, "providers": sign_in_providers(next_url)}
    return render(request, "accounts/signup.html", context, status=400 if form.errors else 200)


@require_POST
def logout_page(request):
    if request.user.is_authenticated:
        audit.record(action="auth.logout", actor=request.user, request=request)
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("/app/login/")


def _with_query(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(params)}" if params else path


def _set_password_error(form, exc: DomainError, *, password_field: str) -> None:
    """A service error on the form: the validators' messages on the password field, the rest above the form."""
    if exc.code == "weak_password":
        for message in next(iter(exc.extra.get("errors", {}).values()), [exc.detail]):
            form.add_error(password_field, message)
    elif exc.code == "wrong_password":
        form.add_error("current_password" if "current_password" in form.fields else None, exc.detail)
    else:
        form.add_error(None, exc.detail)


class VerifyForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    code = forms.CharField(
        max_length=12,
        label="Code from the e-mail",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class NewPasswordMixin(forms.Form):
    new_password1 = forms.CharField(
        max_length=128,
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "data-password-check": "1"}),
    )
    new_password2 = forms.CharField(
        max_length=128, label="New password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password2") and data["new_password1"] != data["new_password2"]:
            self.add_error("new_password2", "The two passwords differ.")
        return data


class ResetForm(NewPasswordMixin):
    email = forms.EmailField(max_length=254, required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    code = forms.CharField(
        max_length=12,
        required=False,
        label="Code from the e-mail",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    field_order = ["email", "code", "new_password1", "new_password2"]


class PasswordChangeForm(NewPasswordMixin):
    current_password = forms.CharField(
        max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["current_password", "new_password1", "new_password2"]


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=255, required=False)
    picture = forms.URLField(max_length=1000, required=False, label="Picture URL", assume_scheme="https")
    email = forms.EmailField(
        max_length=254,
        help_text="A new address takes effect once you enter the code we send to it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        max_length=128,
        required=False,
        label="Your password, to confirm",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@require_http_methods(["GET", "POST"])
@rate_limited("codes", account_field="email")
def verify_page(request):
    """Enter the e-mailed code, or confirm the link's token: the address is verified and the user signed in."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), default="/app/projects/")
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    initial_email = request.GET.get("email") or (
        request.user.pending_email or request.user.email if request.user.is_authenticated else ""
    )
    form = VerifyForm(
        request.POST if request.method == "POST" and not token else None, initial={"email": initial_email}
    )
    status = 200
    if request.method == "POST" and (token or form.is_valid()):
        try:
            if token:
                user = services.email_verify(token=token)
            else:
                user = services.email_verify(email=form.cleaned_data["email"], code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error(None, exc.detail)
            status = exc.status_code
        else:
            login(request, user, backend=PASSWORD_BACKEND)
            audit.record(action="auth.email_verified", actor=user, target=user, request=request)
            messages.success(request, f"Your e-mail address {user.email} is verified.")
            return redirect(next_url)
    if form.errors and status == 200:
        status = 400
    context = {
        "form": form,
        "token": token,
        "next": next_url,
        "resend_form": EmailForm(initial={"email": initial_email}),
    }
    return render(request, "accounts/verify.html", context, status=status)


@require_POST
@rate_limited("codes", account_field="email")
def resend_code_page(request):
    form = EmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the e-mail address to send the code to.")
        return redirect("/app/verify/")
    email = form.cleaned_data["email"].lower()
    services.verification_code_resend(email=email)
    messages.info(request, CODE_SENT.format(email=email))
    return redirect(_with_query("/app/verify/", email=email))


@require_http_methods(["GET", "POST"])
@rate_limited("password_reset", account_field="email")
def forgot_password_page(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        services.password_reset_request(email=email)
        messages.info(request, RESET_SENT.format(email=email))
        return redirect(_with_query("/app/reset-password/", email=email))
    return render(request, "accounts/forgot_password.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@rate_limited("password_reset", account_field="email")
def reset_password_page(request):
    """A new password with the e-mailed code (or the link's token); every session of the account ends."""
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    form = ResetForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if token:
                user = services.password_reset_complete(new_password=data["new_password1"], token=token)
            else:
                user = services.password_reset_complete(
                    new_password=data["new_password1"], email=data["email"], code=data["code"]
                )
        except DomainError as exc:
            _set_password_error(form, exc, password_field="new_password1")
            status = exc.status_code
        else:
            audit.record(action="auth.password_reset", actor=user, target=user, request=request)
            if request.user.is_authenticated:
                logout(request)
            messages.success(request, "Your password is changed: sign in with it.")
            return redirect(_with_query("/app/login/"))
    if form.errors and status == 200:
        status = 400
    return render(request, "accounts/reset_password.html", {"form": form, "token": token}, status=status)


def _profile_context(request, **forms_) -> dict:
    user = request.user
    context = {
        "profile_form": ProfileForm(
            initial={"full_name": user.full_name, "picture": user.picture, "email": user.pending_email or user.email}
        ),
        "password_form": PasswordChangeForm(),
        "delete_form": DeleteAccountForm(),
        "has_password": user.has_usable_password(),
    }
    context.update(forms_)
    return context


@require_http_methods(["GET", "POST"])
@role_required(needs_organization=False)
def profile_page(request):
    """Name, picture and e-mail; password change; e-mail verification; account deletion."""
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "profile":
        return _profile_update(request)
    if action == "password":
        return _password_change(request)
    if action == "delete":
        return _account_delete(request)
    if action == "send_code":
        services.email_verification_start(user=user)
        messages.info(request, f"We sent a new code to {user.email}.")
        return redirect(_with_query("/app/verify/", email=user.email, next="/app/profile/"))
    return render(request, "accounts/profile.html", _profile_context(request))


def _profile_update(request):
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html", _profile_context(request, profile_form=form), status=400)
    old_pending = request.user.pending_email
    user = services.profile_update(user=request.user, **form.cleaned_data)
    audit.record(action="user.profile_update", actor=user, target=user, request=request)
    if user.pending_email and user.pending_email != old_pending:
        messages.info(request, f"Enter the code we sent to {user.pending_email} to start using it.")
        return redirect(_with_query("/app/verify/", email=user.pending_email, next="/app/profile/"))
    messages.success(request, "Your profile is saved.")
    return redirect("/app/profile/")


@rate_limited("sign_in")
def _password_change(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            services.password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
                keep_session_id=None,
            )
        except DomainError as exc:
            _set_password_error(form, exc, password_field="new_password1")
        else:
            update_session_auth_hash(request, request.user)  # this browser stays signed in
            audit.record(action="user.password_change", actor=request.user, target=request.user, request=request)
            messages.success(request, "Your password is changed; your other sessions are signed out.")
            return redirect("/app/profile/")
    return render(request, "accounts/profile.html", _profile_context(request, password_form=form), status=400)


def _account_delete(request):
    form = DeleteAccountForm(request.POST)
    form.is_valid()
    user = request.user
    try:
        services.user_delete(user=user, password=form.cleaned_data.get("password", ""), request=request)
    except DomainError as exc:
        form.add_error("password" if exc.code == "wrong_password" else None, exc.detail)
        return render(
            request, "accounts/profile.html", _profile_context(request, delete_form=form), status=exc.status_code
        )
    logout(request)
    messages.info(request, "Your account is deleted.")
    return redirect("/app/login/")


@require_http_methods(["GET", "POST"])
@role_required(needs_organization=False)
def sessions_page(request):
    """The user's API sign-ins (refresh tokens in use), each revocable, or all at once."""
    if request.method == "POST":
        revoke = request.POST.get("revoke", "")
        try:
            if revoke == "all":
                count = services.sessions_revoke_all(user=request.user)
                messages.success(request, f"Signed out {count} session{'s' if count != 1 else ''}.")
            else:
                services.session_revoke(user=request.user, session_id=int(revoke) if revoke.isdigit() else 0)
                messages.success(request, "That session is signed out.")
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("/app/sessions/")
    return render(request, "accounts/sessions.html", {"sessions": selectors.sessions_active(user=request.user)})

"""Sign-in, sign-up and sign-out pages (Django session; the API uses JWT instead)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from audit import services as audit
from dbooster.errors import Conflict, InvalidInput
from organizations.page_access import safe_next

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


@require_http_methods(["GET", "POST"])
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
            login(request, user, backend=PASSWORD_BACKEND)
            audit.record(action="auth.signup", actor=user, target=user, request=request)
            messages.success(request, f"Welcome to DBooster! You are the admin of {user.organization.name}.")
            return redirect(next_url)
    context = {"form": form, "next": next_url, "providers": sign_in_providers(next_url)}
    return render(request, "accounts/signup.html", context, status=400 if form.errors else 200)


@require_POST
def logout_page(request):
    if request.user.is_authenticated:
        audit.record(action="auth.logout", actor=request.user, request=request)
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("/app/login/")

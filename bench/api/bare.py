"""The anchor of the API benchmark: a bare Django JSON view, served like DBooster (gunicorn, DEBUG off).

Settings, URLs, view and WSGI application in one module: `DJANGO_SETTINGS_MODULE=bench.api.bare`,
`gunicorn bench.api.bare:application`. Middleware and apps are those `django-admin startproject` gives,
so the figure is what an untouched Django project answers on this machine; no database is touched.
"""

import os
import secrets

from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def hello(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bare", hello)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
application = get_wsgi_application()

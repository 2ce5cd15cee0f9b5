"""The anchors of the API benchmark: bare Django JSON views, served like DBooster (gunicorn, DEBUG off).

Settings, URLs, views and WSGI application in one module: `DJANGO_SETTINGS_MODULE=bench.api.bare`,
`gunicorn bench.api.bare:application`. Middleware and apps are those `django-admin startproject` gives,
so the figures are what an untouched Django project answers on this machine.

- `GET /bare` answers a constant: no database is touched (the anchor of every ratio).
- `POST /bare/store` reads a JSON body, stores one row (one INSERT and its commit, in DBooster's database as
  `BARE_DATABASE` names it, a Django DATABASES entry as JSON) and answers it: the floor of any endpoint that keeps
  a record of each request, as POST /query/optimize keeps each run.
- `POST /bare/counted` first counts the request (an upsert on an UNLOGGED table, a statement and commit of its own,
  as DBooster's rate limits count before the work), then stores and answers the row as `/bare/store` does:
  POST /query/optimize's two statements with nothing else around them.
- `POST /bare/api` (`bench/api/bare_api.py`) does what `/bare/counted` does through the parts this stack requires
  of every API endpoint: a Django REST framework view that reads the body with its JSON parser, authenticates
  DBooster's bearer token with simplejwt (statelessly: the token is verified, no user is read), checks the
  permission and answers through its renderer. The floor, on this stack, of an authenticated endpoint making those
  two statements; everything else POST /query/optimize does (the user and their organization, the query parsed,
  the rules, the run and its suggestions built and answered) comes on top.
"""

import functools
import json
import os
import secrets

from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

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

# DBooster's token is accepted as DBooster accepts it (bench/api/run.py gives both servers the same JWT_SECRET).
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SIMPLE_JWT = {"SIGNING_KEY": os.environ.get("JWT_SECRET", SECRET_KEY), "ALGORITHM": "HS256"}

DATABASES = {"default": json.loads(os.environ["BARE_DATABASE"])} if os.environ.get("BARE_DATABASE") else {}
STORE_TABLE = "bench_bare_rows"
CREATE_STORE_TABLE = f"CREATE TABLE IF NOT EXISTS {STORE_TABLE} (id bigserial PRIMARY KEY, query text NOT NULL,"
CREATE_STORE_TABLE += " created_at timestamptz NOT NULL DEFAULT now())"
COUNT_TABLE = "bench_bare_counts"
CREATE_COUNT_TABLE = f"CREATE UNLOGGED TABLE IF NOT EXISTS {COUNT_TABLE} (key text PRIMARY KEY, hits bigint NOT NULL)"


def hello(request):
    return JsonResponse({"status": "ok"})


def count(key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {COUNT_TABLE} AS t (key, hits) VALUES (%s, 1)"
            " ON CONFLICT (key) DO UPDATE SET hits = t.hits + 1 RETURNING hits",
            [key],
        )
        cursor.fetchone()


def store_row(query: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {STORE_TABLE} (query) VALUES (%s) RETURNING id, created_at", [query])
        pk, created_at = cursor.fetchone()
    return {"id": pk, "query": query, "created_at": created_at}


def stored(query: str) -> JsonResponse:
    return JsonResponse(store_row(query), status=201)


@csrf_exempt
def store(request):
    if request.method != "POST":
        return JsonResponse({"status": "ok"})  # the benchmark's probe that the server is up
    return stored(json.loads(request.body)["query"])


@csrf_exempt
def counted(request):
    if request.method != "POST":
        return JsonResponse({"status": "ok"})
    count(request.META.get("REMOTE_ADDR", ""))
    return stored(json.loads(request.body)["query"])


@csrf_exempt
def api(request):
    return _counted_api()(request)


@functools.cache
def _counted_api():
    # Imported at the first request: REST framework's views import models, which the settings (this module) cannot.
    from bench.api.bare_api import CountedApi

    return CountedApi.as_view()


urlpatterns = [
    path("bare", hello),
    path("bare/store", store),
    path("bare/counted", counted),
    path("bare/api", api),
]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
application = get_wsgi_application()

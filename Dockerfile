# DBooster's web server image (the worker runs the same image with another command).
#   docker build -t dbooster .
# docker-compose.yml runs it with PostgreSQL, a worker and pgAdmin.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git: repository scans clone with it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# The pages' browser code (CodeMirror 6), from the npm registry by the lock file, bundled into static/build/.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && npm ci --no-audit --no-fund && npm run build \
    && rm -rf node_modules \
    && apt-get purge -y nodejs npm && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# Static files (API docs, page CSS) into /app/staticfiles, served by WhiteNoise.
# DEBUG=true and a DATABASE_URL only so that settings load here: nothing connects.
RUN DEBUG=true DATABASE_URL=postgres://build@localhost:5432/build \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 dbooster \
    && mkdir -p /app/var \
    && chown -R dbooster:dbooster /app/var
USER dbooster

EXPOSE 8000
CMD ["gunicorn", "dbooster.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

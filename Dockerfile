# lianfang: one instance. Configure with LIANFANG_* variables (see .env.example); compose.yaml runs two on PostgreSQL.
FROM python:3.11-slim

ARG PG_MAJOR=16
# pg_dump/pg_restore for `lianfang backup` and `restore`: from PostgreSQL's apt repository, since they must be no older
# than the server (Debian bookworm ships 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common ca-certificates \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LIANFANG_DATABASE_URL=sqlite:////data/lianfang.db \
    LIANFANG_HTTP_HOST=0.0.0.0 \
    LIANFANG_HTTP_PORT=8080

WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY scheduler ./scheduler
COPY locales ./locales
COPY migrations ./migrations
COPY examples ./examples
RUN pip install --no-cache-dir . && useradd --system --home /data lianfang && mkdir -p /data && chown lianfang /data

USER lianfang
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('LIANFANG_HTTP_PORT', '8080'), timeout=3)"]
CMD ["lianfang", "run"]

# lianfang: one instance. Configure with LIANFANG_* variables (see .env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LIANFANG_DATABASE_URL=sqlite:////data/lianfang.db \
    LIANFANG_HTTP_HOST=0.0.0.0

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
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)"]
CMD ["lianfang", "run"]

# FireGrid 消防网格哨: the bot with only its runtime dependencies, as a non-root user.
#   docker build -t firegrid .
#   docker run --env-file .env -v ./config:/config:ro -v firegrid-data:/data firegrid
# /config holds org.yaml and the forms file it names (forms_file, beside it); /data the SQLite
# file (or set DATABASE_URL to PostgreSQL, as compose.yaml does).

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
COPY models ./models
COPY services ./services
COPY migrations ./migrations
COPY faketg ./faketg
COPY sim ./sim
COPY org.example.yaml forms.example.yaml ./
# A virtual environment holding the project and its runtime dependencies only (no dev extras).
RUN python -m venv /opt/firegrid \
    && /opt/firegrid/bin/pip install --no-cache-dir /src

FROM python:3.11-slim
ENV PATH=/opt/firegrid/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/firegrid.db \
    FIREGRID_ORG=/config/org.yaml \
    FIREGRID_LISTEN=0.0.0.0:8080
RUN groupadd --system --gid 10001 firegrid \
    && useradd --system --uid 10001 --gid firegrid --home-dir /data --shell /usr/sbin/nologin firegrid \
    && mkdir -p /data /config \
    && chown firegrid:firegrid /data
COPY --from=build /opt/firegrid /opt/firegrid
# The shipped example, replaced by mounting the office's own folder over /config.
COPY org.example.yaml /config/org.yaml
COPY forms.example.yaml /config/forms.example.yaml
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["firegrid"]
CMD ["run"]

# syntax=docker/dockerfile:1
# Steward's image: `docker build -t steward .` (deploy/compose.yaml builds it too).
# The builder turns Steward and its dependencies into wheels; the runtime stage installs them
# into a slim Python, runs as an unprivileged user and keeps its data in STEWARD_HOME.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Optional extras, e.g. --build-arg EXTRAS=semantic for the assistant's ranking by meaning.
ARG EXTRAS=""
# What the package needs, and nothing else (see .dockerignore): no tests, no bench, no docs.
COPY pyproject.toml README.md ./
COPY steward ./steward
RUN python -m pip wheel --wheel-dir /wheels "/src${EXTRAS:+[$EXTRAS]}"

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STEWARD_HOME=/var/lib/steward
# STEWARD_HOME is readable by others (0755, files 0644 under Docker's umask) so that the nginx
# of deploy/compose.yaml can send local files; the generated secret key is kept 0600.
RUN groupadd --system --gid 10001 steward \
 && useradd --system --uid 10001 --gid steward --home-dir /var/lib/steward \
      --shell /usr/sbin/nologin steward \
 && install -d -o steward -g steward -m 0755 /var/lib/steward
# The wheels are mounted from the builder, not copied: they never become a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m pip install --no-index --find-links=/wheels steward
USER steward
WORKDIR /var/lib/steward
# The SQLite database (when DATABASE_URL is unset), local files, the generated secret key.
VOLUME ["/var/lib/steward"]
EXPOSE 8000
# /healthz answers before the host check and the HTTPS redirect (steward.operations).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["steward", "serve", "--host", "0.0.0.0", "--port", "8000"]

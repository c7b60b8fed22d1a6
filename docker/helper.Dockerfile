# The helper API's image: gunicorn serving helper_api.wsgi:app with the repository's gunicorn config.
# Build from the repository root:
#   docker build -f docker/helper.Dockerfile -t hestia-sync/helper .
#
# Stopping: `docker stop` (and ECS) send SIGTERM to gunicorn, which is PID 1 here. Its master stops
# accepting connections, lets every worker finish the request in flight for up to graceful_timeout
# (set in helper_api/gunicorn.conf.py), then exits. Give the runtime a stop timeout longer than that
# (compose: stop_grace_period; ECS: stopTimeout), or it sends SIGKILL first.
#
# Once it listens, gunicorn logs one line (when_ready in the config): the address, and that the job must send
# one of the tokens in HELPER_API_TOKENS as its HELPER_API_TOKEN. The token itself is never printed.

# One base for both stages: the virtual environment links to the builder's interpreter, so the final
# stage must carry the very same one. Override with --build-arg PYTHON_IMAGE=... to move Python.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS builder

# The same uv as the Makefile's UV_VERSION (a test keeps the two equal).
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# Compile .pyc at build time: the final image's filesystem may be read-only.
ENV UV_COMPILE_BYTECODE=1
# The cache is a mount on another filesystem, so hard links to it cannot work.
ENV UV_LINK_MODE=copy
# Use the base image's interpreter, never a downloaded one the final stage would not have.
ENV UV_PYTHON_DOWNLOADS=never
# The one place the environment lives, copied as a whole into the final stage.
ENV UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies first, from the lock file alone: this layer is rebuilt only when uv.lock changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself, installed as a regular (non-editable) package so no source tree is needed.
COPY pyproject.toml uv.lock README.md ./
COPY job ./job
COPY helper_api ./helper_api
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable


FROM ${PYTHON_IMAGE} AS runtime

ARG SOURCE_URL=unknown
ARG REVISION=unknown
ARG VERSION=dev
LABEL org.opencontainers.image.title="hestia-sync helper API" \
      org.opencontainers.image.description="Credentials and photo lookups for the Hestia sync job" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"

RUN groupadd --system --gid 10001 hestia \
    && useradd --system --uid 10001 --gid hestia --home-dir /nonexistent --no-create-home \
               --shell /usr/sbin/nologin hestia

# Only the environment (dependencies and the installed project), the gunicorn config and the probe,
# all owned by root so the service cannot alter them.
COPY --from=builder /app/.venv /app/.venv
COPY --from=builder /app/helper_api/gunicorn.conf.py /app/gunicorn.conf.py
COPY docker/healthcheck.py /app/healthcheck.py

# The environment's python, gunicorn and scripts come first.
ENV PATH="/app/.venv/bin:${PATH}"
# Bytecode is already compiled; writing more would fail on a read-only filesystem.
ENV PYTHONDONTWRITEBYTECODE=1
# Log lines reach the container log (CloudWatch) as they are written, not when a buffer fills.
ENV PYTHONUNBUFFERED=1
# Inside the container the port must answer on every interface for the runtime to forward it; who can
# reach it is decided where it is published (127.0.0.1 in compose, the security group in AWS).
ENV HELPER_BIND=0.0.0.0:5000

WORKDIR /app
USER 10001:10001
EXPOSE 5000

# /healthz answers without a token or a database: it says the process serves requests.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "/app/healthcheck.py"]

STOPSIGNAL SIGTERM
CMD ["gunicorn", "--config", "/app/gunicorn.conf.py", "helper_api.wsgi:app"]

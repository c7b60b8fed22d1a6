# The sync job's image: `python -m job`, `run` by default, so a scheduler can pass `plan`, `check`,
# `status` or `--flow NAME` as the command. Build from the repository root:
#   docker build -f docker/job.Dockerfile -t hestia-sync/job .

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
LABEL org.opencontainers.image.title="hestia-sync job" \
      org.opencontainers.image.description="Keeps Hestia's DB1 and DB2 in sync (one pass per run)" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"

RUN groupadd --system --gid 10001 hestia \
    && useradd --system --uid 10001 --gid hestia --home-dir /nonexistent --no-create-home \
               --shell /usr/sbin/nologin hestia

# Only the environment: dependencies and the installed project, owned by root so the job cannot alter it.
COPY --from=builder /app/.venv /app/.venv

# The environment's python and scripts come first.
ENV PATH="/app/.venv/bin:${PATH}"
# Bytecode is already compiled; writing more would fail on a read-only filesystem.
ENV PYTHONDONTWRITEBYTECODE=1
# Log lines reach the container log (CloudWatch) as they are written, not when a buffer fills.
ENV PYTHONUNBUFFERED=1

WORKDIR /app
USER 10001:10001

# Exec form: python is the process the runtime signals and whose exit status it reports.
ENTRYPOINT ["python", "-m", "job"]
CMD ["run"]

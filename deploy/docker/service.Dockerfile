# One image recipe for every service: docker build -f deploy/docker/service.Dockerfile \
#   --build-arg SERVICE=tenancy --build-arg SERVICE_MODULE=qm_tenancy --build-arg SERVICE_PORT=8101 .
# The same image runs the API (default command), the outbox relay and any worker (override the command).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ENV UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir "uv==0.13.8"
# Same path as the runtime stage: the venv's scripts keep absolute paths.
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable --package "qm-${SERVICE}"

FROM ${PYTHON_IMAGE}
ARG SERVICE
ARG SERVICE_MODULE
ARG SERVICE_PORT=8080
RUN useradd --system --uid 10001 --home-dir /var/lib/qmachina --create-home qm \
 && install -d -o qm -g qm /var/lib/qmachina/dev-auth
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY services/${SERVICE}/alembic.ini services/${SERVICE}/alembic.ini
COPY services/${SERVICE}/migrations services/${SERVICE}/migrations
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    QM_LOG_JSON=true \
    QM_SERVICE=${SERVICE} \
    QM_APP=${SERVICE_MODULE}.app:create_app \
    QM_PORT=${SERVICE_PORT}
USER qm
EXPOSE ${SERVICE_PORT}
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['QM_PORT']}/healthz\", timeout=2)"]
CMD ["sh", "-c", "exec python -m uvicorn \"$QM_APP\" --factory --host 0.0.0.0 --port \"$QM_PORT\" --no-access-log"]

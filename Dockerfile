# One image for every process of the system: each service (python -m tools.serve <name>),
# each outbox dispatcher (manage.py dispatch_events in the service's folder) and the
# migrate jobs. docker-compose.yml and deploy/k8s/ choose the command. Built from the
# repository root so common/ is included: docker build -t bookstore .

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
# Dependencies first, in their own layer: code changes do not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt
COPY common /src/common
RUN /venv/bin/pip install --no-deps /src/common

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOST=0.0.0.0
# The uid is fixed so Kubernetes can check it (runAsUser: 10001 in deploy/k8s/).
RUN groupadd --gid 10001 bookstore && useradd --uid 10001 --gid 10001 --no-create-home bookstore
COPY --from=builder /venv /venv
WORKDIR /app
# Owned by root and compiled here: the service user can read the code but not change it,
# and nothing is written under /app at run time (Kubernetes mounts the root read-only).
COPY . /app
RUN python -m compileall -q /app
# book_service's covers (MEDIA_ROOT in docker-compose.yml): a volume mounted here starts
# with this folder's owner, so the service's user may write it.
RUN mkdir -p /data/media && chown 10001:10001 /data/media
USER 10001:10001
EXPOSE 1000 2100 3000 4000 5000 6000 7000 8000
CMD ["python", "-m", "tools.serve", "--help"]

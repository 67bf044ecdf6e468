# One image for all eight services; docker-compose.yml picks the service with
# `python -m tools.serve <name>`. Built from the repository root so common/ is included.

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
RUN useradd --create-home --uid 10001 bookstore
COPY --from=builder /venv /venv
WORKDIR /app
COPY --chown=bookstore:bookstore . /app
USER bookstore
EXPOSE 1000 2100 3000 4000 5000 6000 7000 8000
CMD ["python", "-m", "tools.serve", "--help"]

# syntax=docker/dockerfile:1
# Conduit's image: gunicorn serving the app on 0.0.0.0:8000 (README, "Container image").
#
#   docker build -t conduit .
#   docker run --rm --env-file .env conduit flask db upgrade    # once per release
#   docker run --env-file .env -p 8000:8000 --read-only --tmpfs /tmp conduit
#
# BASE_IMAGE: any Debian-like image with python3 (3.11 or newer) and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/conduit/venv
COPY requirements.txt /tmp/requirements.txt
# Behind a TLS-inspecting proxy, pass its CA bundle as the build secret `ca`
# (`--secret id=ca,src=/path/to/ca.crt`); it is mounted for this step only and
# never stored in a layer.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    /opt/conduit/venv/bin/pip install --require-virtualenv -r /tmp/requirements.txt
WORKDIR /opt/conduit/app
COPY app ./app
COPY migrations ./migrations
COPY config.py gunicorn.conf.py serving.py wsgi.py ./
# Compiled now, since the root file system may be read-only at run time.
RUN /opt/conduit/venv/bin/python -m compileall -q /opt/conduit/app

FROM ${BASE_IMAGE}
COPY --from=builder /opt/conduit /opt/conduit
WORKDIR /opt/conduit/app
# A user id with no account and no write access to the image. Everything it
# writes (gunicorn's heartbeat files, its control socket) goes to /tmp, which
# may be a tmpfs when the root file system is mounted read-only.
USER 10001:10001
# glibc gives a block of 4 MiB or more back to the system when it is freed. Each
# password check takes ARGON2_MEMORY_COST (19 MiB) in the thread that serves it;
# without this, glibc keeps that block in the thread's own heap once it has freed
# one such block, and a worker keeps 19 MiB for every thread that ever checked a
# password (README, "Memory").
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304
ENV PATH=/opt/conduit/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLASK_APP=wsgi \
    GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
# The port is GUNICORN_BIND's, which a deployment may change.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 CMD ["python3", "-c", \
    "import os, urllib.request; port = os.environ['GUNICORN_BIND'].rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--worker-tmp-dir", "/tmp", "wsgi:app"]

# Pintu: one image, one process per container. `pintu <subcommand>` picks the process:
# intake (the default), router, sla, notifier or projections (deploy/k8s sets it in args).

# --- builder: the project and its pinned dependencies, installed into a venv -------------
FROM python:3.11.14-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/pintu

WORKDIR /src
# Only what `pip install .` needs (.dockerignore keeps everything else out of the context).
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN /opt/pintu/bin/pip install --no-cache-dir . \
 && /opt/pintu/bin/pintu --help > /dev/null

# --- runtime: the venv on the same base, run as a numeric non-root user ------------------
FROM python:3.11.14-slim-bookworm AS runtime

# The root filesystem is read-only in Kubernetes; /var/lib/pintu (PINTU_DATA_DIR) is the
# one writable place, an emptyDir or volume mounted there.
RUN groupadd --system --gid 10001 pintu \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pintu \
      --no-create-home --shell /usr/sbin/nologin pintu \
 && install --directory --owner 10001 --group 10001 --mode 0750 /var/lib/pintu

COPY --from=builder /opt/pintu /opt/pintu

ENV PATH=/opt/pintu/bin:$PATH \
    HOME=/var/lib/pintu \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PINTU_BIND_HOST=0.0.0.0 \
    PINTU_DATA_DIR=/var/lib/pintu

WORKDIR /var/lib/pintu
USER 10001:10001

# intake 8000; health and /metrics of router 8081, sla 8082, notifier 8083, projections 8084
EXPOSE 8000 8081 8082 8083 8084

ENTRYPOINT ["pintu"]
CMD ["intake"]

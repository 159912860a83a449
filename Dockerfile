# tomtat: the same install as `make run` (torch==2.13.0 CPU build, the package and
# gunicorn), as a non-root user (uid 10001). docs/DEPLOY.md describes the build arguments:
#   BASE         the base image: python:3.11-slim (default) or any Debian-like image with python3
#                and its venv module (tests/setup-docker.sh builds one from Debian packages)
#   TORCH_INDEX  where the CPU build of torch comes from (default: PyTorch's CPU index);
#                wheels put in docker/pip/ are used first, and a docker/pip/pip.conf is read
#                (a machine without that index, a mirror, a TLS-inspecting proxy: docker/pip/README.md)
#   TOMTAT_PULL_MODELS  model ids to bake in, e.g.
#     docker build --build-arg TOMTAT_PULL_MODELS="VietAI/vit5-base-vietnews-summarization VietAI/envit5-translation" .
#     (needs internet access at build time); without it the image serves extractive summaries
#     and reports translation as unavailable until a model is mounted.
ARG BASE=python:3.11-slim

# -- deps: a virtual environment with every dependency; rebuilt only when pyproject.toml changes
FROM ${BASE} AS deps
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_FIND_LINKS=/pip PIP_CONFIG_FILE=/pip/pip.conf
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# 1. torch, CPU build only: "+cpu" matches no CUDA build of several GB, from the CPU index or
#    from a wheel in docker/pip/ (empty upstream: only its README is copied).
COPY docker/pip/ /pip/
RUN pip install --index-url "$TORCH_INDEX" "torch==2.13.0+cpu"
# 2. the other dependencies, read from pyproject.toml; the constraint keeps the CPU torch.
COPY pyproject.toml ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && echo "torch==2.13.0+cpu" > /tmp/constraints.txt \
    && pip install -c /tmp/constraints.txt -r /tmp/requirements.txt "setuptools>=77" "wheel>=0.43"

# -- wheel: the package itself, without dependencies (seconds; the only stage a source change reruns)
FROM deps AS wheel
COPY README.md ./
COPY models ./models
COPY service ./service
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist .

FROM ${BASE} AS runtime
ARG TOMTAT_PULL_MODELS=""
# TOMTAT_HOST=0.0.0.0 so a published port reaches it; with keys off (TOMTAT_AUTH unset) the server then
# refuses to start unless TOMTAT_ALLOW_OPEN=1 says to serve without keys on purpose (README, Docker).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HOME=/home/tomtat/.cache/huggingface \
    TOMTAT_HOST=0.0.0.0 \
    TOMTAT_PORT=8080 \
    TOMTAT_DB=/home/tomtat/var/tomtat.sqlite3 \
    TOMTAT_LOG_JSON=1
RUN useradd --create-home --uid 10001 tomtat \
    && mkdir -p /home/tomtat/var \
    && chown 10001:10001 /home/tomtat/var
# the dependencies' layer (GBs) is the same image layer until pyproject.toml changes; the package's is small
COPY --from=deps /opt/venv /opt/venv
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps --no-index /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && pip check
COPY docker/healthcheck.py /opt/tomtat/healthcheck.py
USER 10001:10001
WORKDIR /home/tomtat
RUN if [ -n "$TOMTAT_PULL_MODELS" ]; then tomtat models pull $TOMTAT_PULL_MODELS; fi
VOLUME ["/home/tomtat/var"]
EXPOSE 8080
# GET /healthz on TOMTAT_HOST:TOMTAT_PORT (127.0.0.1 when bound to every address), so it follows -e TOMTAT_PORT
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python3", "/opt/tomtat/healthcheck.py"]
# gunicorn reads service/gunicorn_conf.py: one worker, TOMTAT_SERVER_THREADS threads, TOMTAT_TIMEOUT,
# graceful shutdown on SIGTERM (in-flight requests finish, running jobs are checkpointed).
STOPSIGNAL SIGTERM
CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service.wsgi:app"]

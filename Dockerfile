# syntax=docker/dockerfile:1
# tomtat: the same install as `make run` (torch==2.13.0 CPU build, the package and
# gunicorn), as a non-root user. Bake the real models in with
#   docker build --build-arg TOMTAT_PULL_MODELS="VietAI/vit5-base-vietnews-summarization VietAI/envit5-translation" .
# (needs internet access at build time); without it the image serves extractive
# summaries and reports translation as unavailable until a model is mounted.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# CPU wheel of torch: the default index would pull a CUDA build of several GB.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY models ./models
COPY service ./service
RUN pip install .

FROM python:3.11-slim AS runtime
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
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /home/tomtat
RUN if [ -n "$TOMTAT_PULL_MODELS" ]; then tomtat models pull $TOMTAT_PULL_MODELS; fi
VOLUME ["/home/tomtat/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
# gunicorn reads service/gunicorn_conf.py: one worker, TOMTAT_SERVER_THREADS threads, TOMTAT_TIMEOUT,
# graceful shutdown on SIGTERM (in-flight requests finish, running jobs are checkpointed).
STOPSIGNAL SIGTERM
CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service.wsgi:app"]

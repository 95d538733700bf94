# Mayyam's one image: `mayyam operator` or `mayyam api` (the default).
#
#   docker build -t mayyam:0.1.0 .
#   docker run --rm mayyam:0.1.0 --help
#
# BASE_IMAGE may be any Debian-like image with python3 (3.11 or later) and its
# venv module. The first stage builds the wheels and installs them into a
# venv; the second copies only that venv: no pip, no compiler, no cache.
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
# /opt/build holds pip; /opt/mayyam, the venv the image runs, gets none.
RUN python3 -m venv /opt/build && python3 -m venv --without-pip /opt/mayyam
WORKDIR /src

# The dependencies first, from pyproject.toml alone (with a placeholder
# package, dropped again), so that a change of the source rebuilds only
# Mayyam's own wheel. Bytecode is compiled here, checked by hash rather than
# by the files' times, as nothing can write it at run time.
COPY pyproject.toml ./
RUN mkdir -p src/mayyam && touch README.md src/mayyam/__init__.py \
    && /opt/build/bin/pip wheel --wheel-dir /wheels . \
    && rm /wheels/mayyam-*.whl && rm -r src README.md \
    && /opt/build/bin/pip --python /opt/mayyam/bin/python install --no-compile --no-index \
       /wheels/*.whl \
    && /opt/mayyam/bin/python -m compileall -q --invalidation-mode unchecked-hash /opt/mayyam

COPY README.md ./
COPY src ./src
RUN /opt/build/bin/pip wheel --no-deps --wheel-dir /dist . \
    && /opt/build/bin/pip --python /opt/mayyam/bin/python install --no-compile --no-index \
       --no-deps /dist/mayyam-*.whl \
    && /opt/mayyam/bin/python -m compileall -q --invalidation-mode unchecked-hash \
       /opt/mayyam/lib/python3*/site-packages/mayyam

FROM ${BASE_IMAGE}
RUN groupadd --system --gid 10001 mayyam \
    && useradd --system --uid 10001 --gid mayyam --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin mayyam
COPY --from=build /opt/mayyam /opt/mayyam
ENV PATH=/opt/mayyam/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Numeric, so that Kubernetes can check runAsNonRoot without a passwd lookup.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["mayyam"]
CMD ["api", "--host", "0.0.0.0", "--port", "8080"]

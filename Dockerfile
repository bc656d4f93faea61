# syntax=docker/dockerfile:1
# Pneumoscan containers. Two targets, both built from one `build` stage that runs exactly
# what developers run (the release build of the CLI/server, then `cargo xtask dist`, which
# has that binary write the model's NNEF form):
#   docker build --target web -t pneumoscan-web .   nginx serving dist/ on :8080, /predict → api:8080
#   docker build --target api -t pneumoscan-api .   `pneumoscan serve` on :8080
# docker-compose.yml wires the two together. Lint: bash tests/docker-lint.sh.

FROM rust:1.95.0-bookworm AS build
# npm installs binaryen's wasm-opt (pinned in xtask/package.json), which `cargo xtask dist`
# runs on the wasm; Debian's binaryen is too old for wasm-bindgen's output.
# Debian package versions are not pinned: the base image tag pins the release, and exact
# versions vanish from the archive with every security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and target caches survive between builds; the outputs are copied out of
# the cached target dir in the same step (dist/ is written outside it).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --features native --bin pneumoscan \
    && PNEUMOSCAN_BIN=target/release/pneumoscan cargo xtask dist \
    && cp target/release/pneumoscan /usr/local/bin/pneumoscan

# The static front end: the web bundle behind Debian's nginx with its Brotli module
# (nginx.conf loads it: dist/'s .br files), unprivileged (uid 101), port 8080. The same
# image as deploy/containers/web.Containerfile, which CI builds and runs without a registry.
FROM debian:bookworm-slim AS web
# Versions unpinned for the reason given above.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-static curl \
    && rm -rf /var/lib/apt/lists/* /usr/share/nginx/html /var/www/html /etc/nginx/sites-enabled /etc/nginx/conf.d \
    && useradd --system --uid 101 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin nginx
COPY nginx.conf /etc/nginx/nginx.conf
COPY --from=build /src/dist/ /usr/share/nginx/html/
USER 101:101
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/index.html"]
ENTRYPOINT ["nginx", "-e", "stderr", "-g", "daemon off;"]

# The classifier API: `pneumoscan serve` as a non-root user, JSON logs on stderr.
FROM debian:bookworm-slim AS api
# curl is only for the HEALTHCHECK. Versions unpinned for the reason given above.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin pneumoscan
COPY --from=build /usr/local/bin/pneumoscan /usr/local/bin/pneumoscan
USER 10001:10001
WORKDIR /srv/pneumoscan
ENV PNEUMOSCAN_HOST=0.0.0.0 \
    PORT=8080 \
    PNEUMOSCAN_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["pneumoscan"]
CMD ["serve"]

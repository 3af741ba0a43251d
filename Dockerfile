# hitbot in a container: a Rust build stage, then a small Debian runtime with the binary, the knowledge
# and a prebuilt search index, running as a non-root user. The token comes from the environment.
#
#   docker build -t hitbot .
#   docker run -d --name hitbot --restart unless-stopped \
#       -e TELOXIDE_TOKEN=123456789:AAH... -v hitbot-data:/app/data hitbot
#
# Operator data (the SQLite store) lives in /app/data: keep it on a volume.
# `docker exec hitbot hitbot report --since 7d` prints the operator report.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep downloaded crates and compiled dependencies between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 0755 target/release/hitbot /usr/local/bin/hitbot
# The runtime layout: config, knowledge, and the index built from them now, so the first start
# answers at once (the index is keyed by the knowledge's contents, so it stays valid in /app).
RUN mkdir -p /app/data \
    && cp -r config.toml knowledge /app/ \
    && cd /app && hitbot index

FROM debian:bookworm-slim
# CA certificates for an HTTPS proxy (TELOXIDE_PROXY); hitbot itself ships its TLS roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin hitbot
COPY --from=build /usr/local/bin/hitbot /usr/local/bin/hitbot
# Owned by hitbot: the index is rebuilt in place if the knowledge is changed (e.g. mounted over).
COPY --from=build --chown=hitbot:hitbot /app /app
WORKDIR /app
ENV HITBOT_CONFIG=/app/config.toml
# Fewer glibc malloc arenas: a few MB less resident memory for a small multi-threaded server.
ENV MALLOC_ARENA_MAX=2
USER hitbot
VOLUME ["/app/data"]
# Only used in webhook mode ([telegram] webhook_listen = "0.0.0.0:8443" in a mounted config.toml).
EXPOSE 8443
# SIGTERM (docker stop) stops hitbot cleanly: it keeps delivering for up to [telegram] drain_secs
# (8 s, below docker stop's default 10 s timeout; with a larger drain_secs run `docker stop -t N`
# with N above it), then exits 0. Replies still owed wait in /app/data/journal.sqlite (the volume)
# for the next start; even a SIGKILL loses nothing.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hitbot"]
CMD ["telegram"]

# Build: a release binary in a full Rust image.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migration ./migration
COPY src ./src
COPY tests ./tests
COPY openapi ./openapi
COPY benches ./benches
RUN cargo build --release --locked --bin buyin

# Run: a small image with just the binary (and curl for the health check).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/buyin --create-home buyin
COPY --from=build /src/target/release/buyin /usr/local/bin/buyin
USER buyin
WORKDIR /var/lib/buyin
ENV BUYIN_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["buyin"]
CMD ["serve"]

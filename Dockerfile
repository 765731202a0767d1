# openai-access: a small runtime image whose default command is the service
# (`openai-access serve`), so the product documentation's Deployment, which passes no
# arguments, runs it unchanged. Build: docker build -t openai-access:0.1.0 .

# Build stage: the pinned toolchain; dependencies cached in their own layer.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY actors/Cargo.toml actors/Cargo.toml
COPY mock/Cargo.toml mock/Cargo.toml
# Empty targets so that `cargo fetch` resolves the workspace without the sources.
RUN mkdir -p src actors/src mock/src benches \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs actors/src/lib.rs mock/src/lib.rs \
    && echo 'fn main() {}' > benches/graph.rs && echo 'fn main() {}' > benches/full_sync.rs \
    && echo 'fn main() {}' > benches/c1z_write.rs \
    && cargo fetch --locked
COPY . .
RUN cargo build --release --locked --bin openai-access \
    && cp target/release/openai-access /openai-access \
    && mkdir -p /home-dir/var/lib/openai-access/state

# Runtime: glibc and libgcc only (the binary uses rustls: no OpenSSL), no shell, and a
# non-root user (65532, "nonroot").
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /openai-access /usr/local/bin/openai-access
# The working directory, where the state and the snapshot go when no volume is mounted (the
# product documentation's Deployment mounts none): owned by the user that writes there.
COPY --from=build --chown=65532:65532 /home-dir/var/lib/openai-access /var/lib/openai-access
USER 65532:65532
WORKDIR /var/lib/openai-access
EXPOSE 8080
ENV BATON_LISTEN=0.0.0.0:8080 \
    BATON_STATE=/var/lib/openai-access/state \
    BATON_FILE=/var/lib/openai-access/sync.c1z
ENTRYPOINT ["/usr/local/bin/openai-access"]
CMD ["serve"]

# syntax=docker/dockerfile:1
# ticketledger container image: a static binary on distroless, run as non-root.
#
#   docker build -t ticketledger .
#   # the embedded store (the default) on the volume /home/nonroot/data:
#   docker run --rm -p 127.0.0.1:8080:8080 -v ticketledger-data:/home/nonroot/data \
#     -v ticketledger-heads:/home/nonroot/heads -e TICKETLEDGER_SIGNING_KEY="$(cat ledger.key)" ticketledger
#   # KurrentDB instead (docker-compose.yaml does this):
#   docker run --rm ticketledger serve --http 0.0.0.0:8080 --store "esdb://kurrentdb:2113?tls=false" \
#     --signing-key /run/secrets/signing_key --snapshots /home/nonroot/snapshots
#
# serve needs the ledger's Ed25519 signing key: $TICKETLEDGER_SIGNING_KEY (the
# PEM itself) or --signing-key FILE (a mounted secret); create one with
# `openssl genpkey -algorithm ed25519 -out ledger.key`. The first start
# writes an admin token to /home/nonroot/data/admin.token; the image has no
# shell, so copy it out: docker cp CONTAINER:/home/nonroot/data/admin.token .
#
# HEALTHCHECK runs `ticketledger healthcheck` (GET /readyz; the image has no
# curl). Volumes: /home/nonroot/data (embedded store, its subject key store
# and admin.token), /home/nonroot/heads (the signed tree head, published
# outside the data directory), and, created owned by
# the nonroot user so that named volumes mounted there are writable,
# /home/nonroot/snapshots and /home/nonroot/subject-keys (used by
# docker-compose.yaml on KurrentDB).

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so a source change does not re-download modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# Static binary (no cgo): runs on distroless/static.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
    -o /out/ticketledger ./cmd/ticketledger
# The state directories, empty; distroless has no shell to create them.
RUN mkdir -p /out/home/data /out/home/heads /out/home/snapshots /out/home/subject-keys && \
    chmod 0700 /out/home/data /out/home/heads /out/home/snapshots /out/home/subject-keys

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ticketledger /usr/local/bin/ticketledger
COPY --from=build --chown=65532:65532 /out/home/ /home/nonroot/
# nonroot: uid/gid 65532.
USER nonroot:nonroot
WORKDIR /home/nonroot
VOLUME ["/home/nonroot/data", "/home/nonroot/heads"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=12 \
    CMD ["/usr/local/bin/ticketledger", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/ticketledger"]
CMD ["serve", "--http", "0.0.0.0:8080", "--data", "/home/nonroot/data", "--head-file", "/home/nonroot/heads/ledger.head"]

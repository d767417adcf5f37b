# syntax=docker/dockerfile:1
# ticketledger container image: a static binary on distroless, run as non-root.
#
#   docker build -t ticketledger .
#   docker run --rm -p 127.0.0.1:8080:8080 ticketledger            # talks to esdb://kurrentdb:2113
#   docker run --rm ticketledger serve --http 0.0.0.0:8080          # embedded store in /home/nonroot/data
#
# docker-compose.yaml builds this image and runs it against KurrentDB.

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

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ticketledger /usr/local/bin/ticketledger
# nonroot: uid/gid 65532; the embedded store (when used) writes under its home.
USER nonroot:nonroot
WORKDIR /home/nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ticketledger"]
CMD ["serve", "--http", "0.0.0.0:8080", "--store", "esdb://kurrentdb:2113?tls=false"]

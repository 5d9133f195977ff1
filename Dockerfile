# syntax=docker/dockerfile:1

# xerochat in a container: a static binary on distroless, run as a non-root
# user, with the SQLite file on a volume. Build and run:
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t xerochat .
#   docker run -p 8080:8080 -v xerochat-data:/data xerochat
#
# For PostgreSQL set XEROCHAT_DB to a postgres:// URL (see compose.yaml).
# docs/production.md has the rest.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The build context has no .git (see .dockerignore), so the version comes
# from the build argument; xerochat version prints it.
ARG VERSION=""
# CGO_ENABLED=0: modernc SQLite and pgx are pure Go, so the binary is static
# and needs no libc in the final image.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/xerochat ./cmd/xerochat \
 && /out/xerochat version
# The volume's folder, owned by the runtime user: a new named volume takes
# the ownership of the folder it is mounted on, and the final image has no
# shell to make it.
RUN mkdir -p /out/data

# distroless/static: CA certificates (for graph.facebook.com), /etc/passwd
# with the nonroot user (65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/xerochat /usr/local/bin/xerochat
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV XEROCHAT_DB=/data/xerochat.db \
    XEROCHAT_ADDR=0.0.0.0:8080 \
    XEROCHAT_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
# No HEALTHCHECK: it would need a shell or a second binary in the image.
# Let the orchestrator probe GET /healthz (200 {"status":"ok"} while the
# database answers, 503 otherwise): a Kubernetes httpGet probe, the load
# balancer's health check, or the reverse proxy's (deploy/Caddyfile).
# SIGTERM shuts down gracefully within about 15 seconds (10 for requests,
# then the workers): give the container at least that (docker stop -t 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/xerochat"]
CMD ["serve"]

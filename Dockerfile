# syntax=docker/dockerfile:1
# tuijin: the console and the Go binary, built here; run on distroless
# (no shell, no package manager), as a non-root user.

# 1. The console (web/, added by the console issue). Skipped while absent.
FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY . .
RUN if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund && npm run build; else mkdir -p web/dist; fi

# 2. The binary, static, with the console embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/tuijin ./cmd/tuijin

# 3. Runtime.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tuijin /tuijin
USER 65532:65532
ENV TUIJIN_HTTP_ADDR=0.0.0.0:8080 TUIJIN_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/tuijin", "healthcheck"]
ENTRYPOINT ["/tuijin"]
CMD ["serve"]

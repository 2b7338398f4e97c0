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

# 3. The CJK TrueType font embedded in PDF bulletins (Debian's fonts-droid-fallback).
FROM debian:bookworm-slim AS font
RUN apt-get update && apt-get install -y --no-install-recommends fonts-droid-fallback && rm -rf /var/lib/apt/lists/*

# 4. Runtime.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tuijin /tuijin
COPY --from=font /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
USER 65532:65532
ENV TUIJIN_HTTP_ADDR=0.0.0.0:8080 TUIJIN_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/tuijin", "healthcheck"]
ENTRYPOINT ["/tuijin"]
CMD ["serve"]

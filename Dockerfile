# syntax=docker/dockerfile:1
# tuijin: the console and the static binary, built by scripts/build.sh (the
# same script the test command runs on a clean copy of the tree); run on
# distroless (no shell, no package manager), as a non-root user.

# 1. Build: Node.js for the console, Go (copied from the official image) for
#    its generated API types and for the binary.
FROM node:20-bookworm-slim AS build
COPY --from=golang:1.26-bookworm /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN scripts/build.sh /out

# 2. The fonts embedded in PDF bulletins (TUIJIN_PDF_FONT's default):
#    WenQuanYi Micro Hei (CJK, digits, Latin), Droid Sans Fallback and
#    DejaVu Sans for whatever the first lacks.
FROM debian:bookworm-slim AS font
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei fonts-droid-fallback fonts-dejavu-core && rm -rf /var/lib/apt/lists/*

# 3. Runtime.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tuijin /tuijin
COPY --from=font /usr/share/fonts/truetype/wqy/wqy-microhei.ttc /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
COPY --from=font /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
COPY --from=font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
USER 65532:65532
ENV TUIJIN_HTTP_ADDR=0.0.0.0:8080 TUIJIN_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/tuijin", "healthcheck"]
ENTRYPOINT ["/tuijin"]
CMD ["serve"]

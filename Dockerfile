# syntax=docker/dockerfile:1
# ews-photo-bridge: build with the dev tools, run with production dependencies only.
#   docker build -t ews-photo-bridge .
#   docker run -p 8080:8080 -v bridge-data:/data ews-photo-bridge
# Built and run with podman on a stand-in for the base image (see README, "Deployment files").

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and sharp ship prebuilt binaries for this platform; the toolchain is
# the fallback when one is missing.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY wsdl ./wsdl
# npm ci compiles the bridge (the prepare script); then the dev dependencies go.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    BRIDGE_HOST=0.0.0.0 \
    BRIDGE_PORT=8080 \
    BRIDGE_DB=/data/bridge.db \
    BRIDGE_DEMO=false
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: the WSDL and its schemas, and the directory page's static files.
COPY --from=build /app/wsdl ./wsdl
COPY --from=build /app/src/web ./src/web
# The embedded SQLite store lives on a volume owned by the unprivileged user.
RUN mkdir /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Ready = the store answers and the bridge is not draining: `healthcheck` asks /readyz on the
# port the same settings (environment, BRIDGE_CONFIG) give `serve`, over HTTPS with built-in TLS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/cli.js", "healthcheck"]
# SIGTERM drains in-flight requests (BRIDGE_SHUTDOWN_GRACE_MS); give docker stop longer than that.
STOPSIGNAL SIGTERM
# A young generation of 64 MiB a semi-space, as `npm start` runs it (README, "Memory and the young generation").
ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/cli.js"]
CMD ["serve"]

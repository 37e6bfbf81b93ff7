# sessiondb server image: node 20, production dependencies only, non-root, data under /data.
# Build:  docker build -t sessiondb .
# Run:    docker run -p 8787:8787 -v sessiondb-data:/data -e SESSIONDB_API_KEYS='[...]' sessiondb
# test/deploy.test.ts runs this file's install, ENV, CMD and HEALTHCHECK as plain commands.

# 1. Build the package from source and pack it, as `npm pack` does for a release.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Only tsc and vite run here: no native module needs compiling.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && mkdir /pkg && npm pack --pack-destination /pkg && mv /pkg/sessiondb-*.tgz /pkg/sessiondb.tgz

# 2. Install the packed package and the drivers, production dependencies only (better-sqlite3 compiles here
#    when no prebuilt binary can be fetched, hence the toolchain in this stage only).
FROM node:20-bookworm-slim AS install
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY deploy/package.json deploy/install.sh /deploy/
COPY --from=build /pkg/sessiondb.tgz /deploy/sessiondb.tgz
RUN sh /deploy/install.sh /deploy/sessiondb.tgz

# 3. The runtime: no compiler, no sources, no devDependencies.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
ENV SESSIONDB_HOST=0.0.0.0
ENV SESSIONDB_PORT=8787
ENV SESSIONDB_URL=sqlite:/data/sessions.db
WORKDIR /app
COPY --from=install /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SESSIONDB_PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "node_modules/sessiondb/dist/cli/bin.js", "serve"]

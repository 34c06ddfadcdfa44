# One image for every piece of the mesh; docker-compose.yml picks the command per service.
# Stage 1 compiles the TypeScript (dev dependencies); stage 2 runs the compiled JavaScript with plain node
# and production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY core ./core
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY simulator ./simulator
COPY scripts ./scripts
COPY build ./build
# `npm ci` runs the `prepare` script: the build into dist/, with the gateway's bundle (build/bundleGateway.ts).
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
# jemalloc for the gateway (scripts/gatewayAllocator.ts): it returns the memory of departed websocket clients.
# One path whatever the architecture, for an LD_PRELOAD set in docker-compose.yml.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/* \
  && ln -s "$(find /usr/lib -name libjemalloc.so.2 | head -n 1)" /usr/local/lib/libjemalloc.so.2
# No npm lifecycle scripts in the image: `prepare` and the `pre<script>` build steps need the compiler,
# which is a dev dependency; the image already holds the build.
ENV npm_config_ignore_scripts=true
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY config ./config
ENV MESH_HOST=0.0.0.0 GATEWAY_HOST=0.0.0.0
EXPOSE 4000 4001 4002 4003 4004
CMD ["node", "dist/scripts/start.js"]

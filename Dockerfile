# syntax=docker/dockerfile:1

# ---- build: compile TypeScript with the full dev toolchain --------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# package.json comes along with the lock file: its `overrides` swap danfojs-node's native
# TensorFlow binding for the pure-JS build, and `npm ci` refuses a lock that disagrees with them.
COPY package.json package-lock.json ./
RUN SCARF_ANALYTICS=false npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ ./src/
RUN npm run build

# ---- runtime: production dependencies and the compiled output only ------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# In a container the published port is the boundary: listen on every interface inside it.
ENV HOST=0.0.0.0
WORKDIR /app
# Dependencies before the code, so a source-only change reuses this layer.
COPY package.json package-lock.json ./
RUN SCARF_ANALYTICS=false npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The code stays root-owned, so the process cannot alter it; its output goes to the object store.
USER node
EXPOSE 8080
# The slim image has no curl or wget; Node's own fetch does the probe.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/service/main.js"]

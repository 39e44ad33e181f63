# syntax=docker/dockerfile:1
# gitops-seal-daemon image (the `gitops-seal` CLI is included).
#   docker build -t gitops-seal:0.1.0 .
# Pinned by tag; to pin the digest too, use NODE_IMAGE=node:20.20-bookworm-slim@sha256:<digest>
# (`docker buildx imagetools inspect node:20.20-bookworm-slim` prints it).
ARG NODE_IMAGE=node:20.20-bookworm-slim
# Renderers of Kustomize and Helm syncs, built from Go modules at the pins of
# test/stack/versions.env (KUSTOMIZE_VERSION, HELM_VERSION; test/deploy/compose.test.ts keeps
# these equal). kustomize v5.8.1 needs Go >= 1.24, helm v4.3.2 Go >= 1.25.
ARG GO_IMAGE=golang:1.26-bookworm
ARG KUSTOMIZE_VERSION=v5.8.1
ARG HELM_VERSION=v4.3.2

# --- build: all dependencies, TypeScript compiled to dist/ ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY daemon ./daemon
COPY keys ./keys
# The web page's browser bundle (esbuild, a dev dependency of this stage only) → dist/daemon/ui/web/.
COPY scripts/build-ui.ts ./scripts/build-ui.ts
RUN npm run build

# --- deps: production dependencies only ----------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- renderers: kustomize and helm, static binaries -----------------------------------------
FROM ${GO_IMAGE} AS renderers
ARG KUSTOMIZE_VERSION
ARG HELM_VERSION
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=/out
RUN go install -trimpath -ldflags='-s -w' sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION} \
  && go install -trimpath -ldflags='-s -w' helm.sh/helm/v4/cmd/helm@${HELM_VERSION} \
  && /out/kustomize version && /out/helm version

# --- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to node (which then stops cleanly within the grace period)
# and reaps zombies. No git: sources are fetched with isomorphic-git.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=160" \
    GITOPS_SEAL_DATA=/var/lib/gitops-seal
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The daemon finds them on PATH (daemon/render/bins.ts); mkfifo (coreutils) is in the base image.
COPY --from=renderers /out/kustomize /out/helm /usr/local/bin/
# The CLI reads its version from package.json.
COPY package.json ./
RUN chmod 0755 dist/daemon/main.js dist/cli/main.js \
  && ln -s /app/dist/daemon/main.js /usr/local/bin/gitops-seal-daemon \
  && ln -s /app/dist/cli/main.js /usr/local/bin/gitops-seal \
  && mkdir -p /var/lib/gitops-seal \
  && chown 65532:65532 /var/lib/gitops-seal
# Numeric uid/gid (no passwd entry needed): Kubernetes' runAsNonRoot can verify a numeric USER.
USER 65532:65532
EXPOSE 9797
ENTRYPOINT ["/usr/bin/tini", "--", "gitops-seal-daemon"]
CMD ["--config", "/etc/gitops-seal/config.yaml", "--listen", "0.0.0.0:9797"]

# The reinvent-bench client image, for `reinvent-bench k8s` Jobs: docker build -t <registry>/reinvent-bench:<tag> .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bench ./bench
COPY scripts ./scripts
COPY bin ./bin
COPY scenarios ./scenarios
COPY docs ./docs
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/scenarios ./scenarios
COPY --from=build /app/docs ./docs
USER node
ENTRYPOINT ["/app/bin/reinvent-bench.js"]

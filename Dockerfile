# One image for every Streamline service; the container's command picks the service:
#   node dist/src/<gateway|ledger|alerting|notifier|sentiment>/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY schemas ./schemas
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY config ./config
COPY models ./models
USER node
CMD ["node", "dist/src/gateway/main.js"]

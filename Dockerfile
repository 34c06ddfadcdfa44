# One image for every piece of the mesh; docker-compose.yml picks the command per service.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV MESH_HOST=0.0.0.0 GATEWAY_HOST=0.0.0.0
EXPOSE 4000 4001 4002 4003 4004
CMD ["npm", "start"]

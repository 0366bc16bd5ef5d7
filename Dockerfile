# Tether in a container: the server and its worker, for the project mounted (or copied) at /app.
#   docker build -t tether .
# The image installs Tether from this repository; add your project's own dependencies in a
# derived image (FROM tether, COPY your project to /app, RUN uv pip install --system -e /app).
FROM python:3.11-slim
RUN pip install --no-cache-dir uv
WORKDIR /opt/tether
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY sdk ./sdk
# With the `otel` extra: traces are one OTEL_EXPORTER_OTLP_ENDPOINT away (docs/operations.md).
RUN uv pip install --system --no-cache ".[otel]"
WORKDIR /app
COPY examples /app
ENV TETHER_HOST=0.0.0.0 TETHER_CONFIG=/app/langgraph.json
EXPOSE 2024
CMD ["tether", "serve"]

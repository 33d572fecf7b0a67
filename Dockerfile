# The Claw CLI (migrations, later the worker and the HTTP API) for docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps .
ENV CLAW_ROOT=/app
USER nobody
CMD ["claw", "--help"]

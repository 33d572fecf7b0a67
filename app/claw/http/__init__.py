"""The HTTP edge (`claw serve`): FastAPI over the `api` functions.

A route is a thin mapping: it authenticates the caller in the request's transaction
(api.authenticate for API keys, api.authenticate_jwt for JWTs) and calls documented `api.*`
functions; the database decides everything else. Modules:

- settings: configuration from the environment (the README's table)
- telemetry: OpenTelemetry (spans per request and database call) and JSON logs with trace ids
- problems: RFC 9457 problem documents from the SQLSTATE registry (claw.errors)
- edge: the pool, the request transaction, rate limits, idempotency keys
- events: the shared LISTEN connection and the SSE streams
- models: request and response schemas (OpenAPI)
- routes: the routes, one small function each
- app: the FastAPI application; server: uvicorn with graceful shutdown
"""

"""Claw: a PostgreSQL-native control plane for AI agents. The database is the product; this
package is the thin layer around it (CLI, migrations runner, linter, and later the worker,
LLM and connector clients, and the HTTP API)."""

__version__ = "0.1.0"

"""Use cases shared by the API and the web UI: plain functions, explicit actors."""

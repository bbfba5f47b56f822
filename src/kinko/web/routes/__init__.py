"""Routers: thin translations from HTTP to service calls."""

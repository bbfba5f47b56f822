"""FastAPI app: JSON API and pages."""

"""Customers and branches (PRD-1); users and contracts arrive with authentication."""

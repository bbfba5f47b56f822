"""The corporate business net (PRD-2..4, 002): courses and the services they include, usage
accounts, users with their grants and limits, and the approval settings of a contract."""

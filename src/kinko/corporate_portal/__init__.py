"""The business net's portal use cases that stand on several domains: approvals of single
transfers (APR-1), the payee master's changes (BULK-1) and token applications carried out by
the bank's four eyes (CRED-2, CRED-3). Above the transfer, bulk and back-office domains; the
transfer domain reaches the approvals only through the hook in
:mod:`kinko.corporate.entitlements`."""

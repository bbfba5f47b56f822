"""Corporate business net services (002 第5条8–12, 第6条, 第15条, 第18条).

Zengin statements (ZEN-2), direct debit and collection (DD-1, DD-2), and what the contract's
services share: which contract a user acts for, and whether it may use a service
(:mod:`kinko.corporate_services.access`).
"""

"""Notifications: e-mail notices through the outbox, bounces, and a local SMTP sink (NOTIF-1).

Public API: :mod:`kinko.notifications.service` (queue, send, bounces, mailbox),
:mod:`kinko.notifications.templates` (the notices), :mod:`kinko.notifications.sink`.
"""

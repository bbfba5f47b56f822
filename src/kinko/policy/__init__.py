"""Versioned bank policy (POL-1, SPEC §13).

``current_policy()`` is the policy in force now; ``policy_at(moment)`` the one in force at a
past or future moment (an instruction keeps the policy of its own time).
"""

from kinko.policy.book import BEGINNING, PolicyBook, PolicyFileError, PolicyVersion
from kinko.policy.fields import RATE_SCALE, UNTIL_RELEASED, Cutoff
from kinko.policy.model import FeeDestination, Policy
from kinko.policy.store import (
    configured_policy_file,
    current_policy,
    get_policy_book,
    policy_at,
    reset_policy_cache,
    version_at,
)

__all__ = [
    "BEGINNING",
    "RATE_SCALE",
    "UNTIL_RELEASED",
    "Cutoff",
    "FeeDestination",
    "Policy",
    "PolicyBook",
    "PolicyFileError",
    "PolicyVersion",
    "configured_policy_file",
    "current_policy",
    "get_policy_book",
    "policy_at",
    "reset_policy_cache",
    "version_at",
]

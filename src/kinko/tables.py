"""Every table of every package, for Alembic and for tests.

It imports every domain's models, so it sits above the domains (with the runner), not in
``kinko.db``: the foundation imports no domain (docs/architecture.md)."""

from kinko.audit import models as _audit  # noqa: F401
from kinko.backoffice import models as _backoffice  # noqa: F401 - and kinko.auth.models
from kinko.bulk import models as _bulk  # noqa: F401
from kinko.claims import models as _claims  # noqa: F401
from kinko.clearing import models as _clearing  # noqa: F401
from kinko.corporate import models as _corporate  # noqa: F401
from kinko.corporate_services import models as _corporate_services  # noqa: F401
from kinko.db.base import Base
from kinko.debitcards import models as _debitcards  # noqa: F401
from kinko.deposits import models as _deposits  # noqa: F401
from kinko.idempotency import models as _idempotency  # noqa: F401
from kinko.instructions import models as _instructions  # noqa: F401
from kinko.ledger import models as _ledger  # noqa: F401
from kinko.notifications import models as _notifications  # noqa: F401
from kinko.onboarding import models as _onboarding  # noqa: F401
from kinko.outbox import models as _outbox  # noqa: F401
from kinko.parties import models as _parties  # noqa: F401
from kinko.parties import residency_models as _residency  # noqa: F401
from kinko.payeasy import models as _payeasy  # noqa: F401
from kinko.policy import models as _policy  # noqa: F401
from kinko.transfers import models as _transfers  # noqa: F401
from kinko.verification import models as _verification  # noqa: F401

metadata = Base.metadata

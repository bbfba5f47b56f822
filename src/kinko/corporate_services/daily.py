"""The corporate services' daily run (``kinko corporate daily``): everything that happens on
a day by itself, each step in its own transaction and each safe to run again.

1. direct debit and collection: debit the batches whose day has come, settle those due;
2. monthly base fees on their debit day, and unpaid ones again;
   local tax: funds the day before, payment on the day, receipts from the next business day;
3. last month's statements as PDF, and electronic documents past retention removed;
4. contract terms renewed or ended, and grounds for termination queued for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kinko import clock
from kinko.corporate_services import contracts, debits, edelivery, fees, localtax
from kinko.db.engine import Database


@dataclass
class DailyReport:
    steps: dict[str, object] = field(default_factory=dict)


def run(db: Database) -> DailyReport:
    report = DailyReport()
    done = debits.run_due(db)
    report.steps["direct_debit"] = {"debited": done.debited, "settled": done.settled}
    fee_run = db.run(fees.charge_due)
    report.steps["fees"] = {"charged": fee_run.charged, "paid": fee_run.paid,
                            "unpaid": fee_run.unpaid}
    report.steps["local_tax"] = db.run(localtax.run_due)
    today = clock.today()
    report.steps["statements"] = db.run(edelivery.monthly_statements, today)
    report.steps["purged_documents"] = db.run(edelivery.purge, today)
    review = db.run(contracts.review)
    report.steps["contracts"] = {"renewed": review.renewed, "ended": review.ended,
                                 "queued": review.queued}
    return report

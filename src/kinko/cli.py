"""The ``kinko`` command line (UI-3)."""

from __future__ import annotations

import typer

from kinko.audit.cli import app as audit_app
from kinko.backoffice.cli import app as operators_app
from kinko.batch.cli import app as batch_app
from kinko.bench.cli import app as bench_app
from kinko.calendar.cli import app as calendar_app
from kinko.claims.cli import app as claims_app
from kinko.clihelpers import both
from kinko.corporate_services.cli import app as corporate_app
from kinko.db.cli import app as db_app
from kinko.demo.call import call
from kinko.demo.cli import app as demo_app
from kinko.demo.cli import serve
from kinko.demo.interbank import incoming, other_banks
from kinko.keys_cli import app as keys_app
from kinko.ledger.cli import app as ledger_app
from kinko.notifications.cli import bounce, sink
from kinko.onboarding.cli import app as customers_app
from kinko.policy.cli import app as policy_app
from kinko.verification.cli import app as verification_app
from kinko.web.demo_users import operator_otp_command, otp_command
from kinko.zengin.cli import app as zengin_app

app = typer.Typer(
    help=both("Kinko — インターネットバンキング"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(calendar_app, name="calendar")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(batch_app, name="batch")
app.add_typer(bench_app, name="bench")
app.add_typer(zengin_app, name="zengin")
app.add_typer(corporate_app, name="corporate")
app.add_typer(demo_app, name="demo")
app.add_typer(operators_app, name="operators")
app.add_typer(keys_app, name="keys")
app.add_typer(ledger_app, name="ledger")
app.add_typer(customers_app, name="customers")
app.add_typer(claims_app, name="claims")
app.add_typer(verification_app, name="verification")
app.command()(serve)
demo_app.command("incoming")(incoming)
demo_app.command("other-banks")(other_banks)
demo_app.command("otp")(otp_command)
demo_app.command("operator-otp")(operator_otp_command)
demo_app.command("call")(call)
mail_app = typer.Typer(help=both("メール"), no_args_is_help=True)
mail_app.command("sink")(sink)
mail_app.command("bounce")(bounce)
app.add_typer(mail_app, name="mail")


def main() -> None:
    app()

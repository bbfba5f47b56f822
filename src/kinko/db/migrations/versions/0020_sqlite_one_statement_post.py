"""SQLite only: three writes of the confirmation as one statement each (views with INSTEAD OF
triggers; nothing on PostgreSQL, which does the same with data-modifying CTEs)

SQLite has no data-modifying CTEs, so a statement changes one table; a trigger's work is part
of the one statement that fires it (the same statement-level atomicity: a RAISE(ABORT) undoes
all of it). Each view below has no rows; an INSERT into it is a call:

* ``proc_ledger_post``: the ledger's post (``kinko.ledger.repository.sqlite_post``): refuses
  a replayed idempotency key, an unknown account or a leg its account cannot take
  (RAISE(IGNORE): nothing written, no row returned; the caller explains why), else inserts
  the entry, moves each leg's balance and inserts the postings with the balances after — the
  checks of ``kinko.ledger.rules.check_leg`` and of the PostgreSQL statement, in SQL.
* ``proc_step_up_rotation``: spends a one-time password's time step and rotates the session
  (``kinko.auth.repository.rotate_spending_otp_step``); IGNORE when the step is spent already.
* ``proc_instruction_move``: moves an instruction from one status to another and records the
  request's idempotency key with its answer (``kinko.instructions.service.transition``);
  IGNORE when the instruction has left that status, ABORT when the key is recorded already.

The SQL here is frozen with the migration: a change to a procedure is a new migration.

Keep in mind for later migrations: SQLite checks every trigger when a table is renamed, so a
``batch_alter_table`` (copy, drop, rename) of a table these triggers use — accounts,
journal_entries, postings, auth_otp_tokens, auth_sessions, instructions, idempotency_keys —
fails with "error in trigger …: no such table" unless that migration drops the views first
(``drop_procedures``) and creates them again after (``create_procedures``) on SQLite.

Revision ID: 0020_sqlite_one_statement_post
Revises: 0019_postings_batch_checks
Create Date: 2026-12-04 23:20:00
"""
from __future__ import annotations

from alembic import op

revision = '0020_sqlite_one_statement_post'
down_revision = '0019_postings_batch_checks'
branch_labels = None
depends_on = None

# The account states of kinko.ledger.rules, as stored.
_DEBITABLE = "'active', 'deposit_stopped'"
_CREDITABLE = "'active', 'payment_stopped', 'seized'"

# A leg is the JSON array [account id, amount, description]; the legs' accounts are distinct
# (kinko.ledger.rules.validate_legs).
_ACCOUNT = "json_extract(l.value, '$[0]')"
_AMOUNT = "json_extract(l.value, '$[1]')"

PROCEDURES = [
    """CREATE VIEW proc_ledger_post (kind, memo, value_date, created_at, idempotency_key,
                                     request_hash, legs) AS
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0""",
    f"""CREATE TRIGGER proc_ledger_post_run INSTEAD OF INSERT ON proc_ledger_post
BEGIN
  SELECT RAISE(IGNORE)
  WHERE EXISTS (SELECT 1 FROM journal_entries WHERE idempotency_key = NEW.idempotency_key)
     OR (SELECT count(*) FROM json_each(NEW.legs) AS l JOIN accounts AS a ON a.id = {_ACCOUNT}
         WHERE CASE WHEN {_AMOUNT} < 0
                 THEN a.state IN ({_DEBITABLE})
                      AND a.balance - a.held + a.overdraft_limit + {_AMOUNT} >= 0
                 ELSE a.state IN ({_CREDITABLE}) END
        ) <> json_array_length(NEW.legs);
  INSERT INTO journal_entries (kind, memo, value_date, created_at, idempotency_key,
                               request_hash)
  VALUES (NEW.kind, NEW.memo, NEW.value_date, NEW.created_at, NEW.idempotency_key,
          NEW.request_hash);
  UPDATE accounts
  SET balance = balance + (SELECT {_AMOUNT} FROM json_each(NEW.legs) AS l
                           WHERE {_ACCOUNT} = accounts.id)
  WHERE id IN (SELECT {_ACCOUNT} FROM json_each(NEW.legs) AS l);
  INSERT INTO postings (entry_id, account_id, amount, balance_after, description)
  SELECT (SELECT max(id) FROM journal_entries), a.id, {_AMOUNT}, a.balance,
         json_extract(l.value, '$[2]')
  FROM json_each(NEW.legs) AS l JOIN accounts AS a ON a.id = {_ACCOUNT}
  ORDER BY l.key;
END""",  # noqa: S608 - only the constants above are formatted in
    """CREATE VIEW proc_step_up_rotation (session_id, token_id, step, token_hash, rotated_at,
                                         last_seen_at, stepped_up_at, stepped_up_for) AS
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0""",
    """CREATE TRIGGER proc_step_up_rotation_run INSTEAD OF INSERT ON proc_step_up_rotation
BEGIN
  SELECT RAISE(IGNORE)
  WHERE NOT EXISTS (SELECT 1 FROM auth_otp_tokens
                    WHERE id = NEW.token_id AND state = 'active'
                      AND (last_step IS NULL OR last_step < NEW.step));
  UPDATE auth_otp_tokens SET last_step = NEW.step WHERE id = NEW.token_id;
  UPDATE auth_sessions
  SET token_hash = NEW.token_hash, rotated_at = NEW.rotated_at,
      last_seen_at = NEW.last_seen_at, stepped_up_at = NEW.stepped_up_at,
      stepped_up_for = NEW.stepped_up_for
  WHERE id = NEW.session_id;
END""",
    """CREATE VIEW proc_instruction_move (instruction_id, from_status, to_status, confirmed_at,
                                         finished_at, entry_id, scope, key, request_hash,
                                         response, created_at) AS
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0""",
    """CREATE TRIGGER proc_instruction_move_run INSTEAD OF INSERT ON proc_instruction_move
BEGIN
  SELECT RAISE(IGNORE)
  WHERE NOT EXISTS (SELECT 1 FROM instructions
                    WHERE id = NEW.instruction_id AND status = NEW.from_status);
  SELECT RAISE(ABORT, 'kinko: idempotency key recorded by a concurrent request')
  WHERE EXISTS (SELECT 1 FROM idempotency_keys WHERE scope = NEW.scope AND key = NEW.key);
  UPDATE instructions
  SET status = NEW.to_status,
      confirmed_at = coalesce(NEW.confirmed_at, confirmed_at),
      finished_at = coalesce(NEW.finished_at, finished_at),
      entry_id = coalesce(NEW.entry_id, entry_id)
  WHERE id = NEW.instruction_id;
  INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at)
  VALUES (NEW.scope, NEW.key, NEW.request_hash, NEW.response, NEW.created_at);
END""",
]

VIEWS = ("proc_ledger_post", "proc_step_up_rotation", "proc_instruction_move")


def create_procedures() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for ddl in PROCEDURES:
            op.execute(ddl)


def drop_procedures() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for view in VIEWS:
            op.execute(f'DROP VIEW IF EXISTS {view}')  # its trigger goes with it


def upgrade() -> None:
    create_procedures()


def downgrade() -> None:
    drop_procedures()

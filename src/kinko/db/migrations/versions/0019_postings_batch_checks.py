"""postings: on PostgreSQL the two foreign keys of postings are checked once per statement,
not once per row

PostgreSQL checks a row-level foreign key with one ``SELECT … FOR KEY SHARE`` on the parent
per new row and per key: two thirds of the time of COPYing a batch's postings (``post_many``,
``post_payouts``; docs/performance.md). The guarantee stays, checked by set instead of by
row, on both sides of each key:

* ``postings_parents`` (AFTER INSERT, FOR EACH STATEMENT, over the statement's new rows as a
  transition table — COPY fires it too): if any new posting names an entry or an account that
  does not exist, the statement fails with SQLSTATE 23503 (foreign_key_violation, as the
  foreign key did) and so does the caller's transaction.
* Deleting accounts or journal entries (nothing in Kinko does: an account is closed, an entry
  reversed; the tests empty their tables) first takes a SHARE lock on ``postings`` — it waits
  for every transaction that is writing postings and holds off new ones until it ends — then
  fails with 23503 if any posting still refers to a deleted row. A TRUNCATE of them fails if
  any posting is left. An account's or entry's id and a posting's ``entry_id``/``account_id``
  never change (refused, 23001 restrict_violation).

So the insert-side check needs no ``FOR KEY SHARE`` lock on each parent: a parent it saw
cannot disappear before the posting commits (the deleter waits for it and then sees the
posting), and a parent deleted first is gone by the time the check runs (the writer waited
on the SHARE lock; Kinko's transactions are READ COMMITTED, so the check's statement sees
the delete. Under REPEATABLE READ or SERIALIZABLE the check locks the parents after all,
as the foreign key did, and a concurrent delete is a serialization failure.)

And ``accounts`` pages keep a fifth free (``fillfactor = 80``): a balance UPDATE then writes the
row's new version on the same page and no index entry (a HOT update: no indexed column
changes), where a full page made it a new row elsewhere plus an entry in each of the table's
three indexes. It holds for pages written from now on; an existing table gets it when it is
rewritten (``VACUUM FULL accounts`` in a maintenance window).

SQLite keeps its real foreign keys (the models still declare them; the migrations check skips
these two on PostgreSQL, see ``kinko.db.migrations.env``).

Revision ID: 0019_postings_batch_checks
Revises: 0018_bulk_speed
Create Date: 2026-12-04 23:20:00
"""
from __future__ import annotations

from alembic import op

revision = '0019_postings_batch_checks'
down_revision = '0018_bulk_speed'
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION kinko_postings_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    -- The snapshot is the transaction's: lock what it saw, like the foreign key did.
    PERFORM 1 FROM journal_entries e WHERE e.id IN (SELECT entry_id FROM new_rows)
      ORDER BY e.id FOR KEY SHARE;
    PERFORM 1 FROM accounts a WHERE a.id IN (SELECT account_id FROM new_rows)
      ORDER BY a.id FOR KEY SHARE;
  END IF;
  -- Distinct keys first: a batch's postings name each entry twice and a book thousands of
  -- times; each key is then one probe of the parent's primary key.
  SELECT k.id INTO missing FROM (SELECT DISTINCT entry_id AS id FROM new_rows) k
   WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = k.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'postings: journal entry % does not exist', missing
      USING ERRCODE = 'foreign_key_violation',
            CONSTRAINT = 'fk_postings_entry_id_journal_entries', TABLE = 'postings',
            DETAIL = 'every posting belongs to an entry of journal_entries (checked per statement)';
  END IF;
  SELECT k.id INTO missing FROM (SELECT DISTINCT account_id AS id FROM new_rows) k
   WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = k.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'postings: account % does not exist', missing
      USING ERRCODE = 'foreign_key_violation',
            CONSTRAINT = 'fk_postings_account_id_accounts', TABLE = 'postings',
            DETAIL = 'every posting moves an account of accounts (checked per statement)';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER postings_parents AFTER INSERT ON postings
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kinko_postings_parents();

-- The parents' side. TG_ARGV[0]: the postings column that refers to the table.
CREATE FUNCTION kinko_postings_hold_writers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Wait for the transactions writing postings, and hold new ones off until this one ends:
  -- the check after the delete then sees every posting that could refer to a deleted row.
  LOCK TABLE postings IN SHARE MODE;
  RETURN NULL;
END $$;

CREATE FUNCTION kinko_postings_children() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent bigint;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    LOCK TABLE postings IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM postings) THEN
      RAISE EXCEPTION '%: cannot be truncated while postings refer to it', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
  END IF;
  EXECUTE format('SELECT o.id FROM old_rows o WHERE EXISTS '
                 '(SELECT 1 FROM postings p WHERE p.%I = o.id) LIMIT 1', TG_ARGV[0])
    INTO parent;
  IF parent IS NOT NULL THEN
    RAISE EXCEPTION '%: row % is still referred to by postings', TG_TABLE_NAME, parent
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
            DETAIL = 'postings refer to it (checked per statement)';
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION kinko_ledger_key_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%: the keys between postings and their entries and accounts never change',
    TG_TABLE_NAME USING ERRCODE = 'restrict_violation', TABLE = TG_TABLE_NAME;
END $$;

CREATE TRIGGER accounts_postings_writers BEFORE DELETE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION kinko_postings_hold_writers();
CREATE TRIGGER accounts_postings_children AFTER DELETE ON accounts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kinko_postings_children('account_id');
CREATE TRIGGER accounts_postings_truncate AFTER TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION kinko_postings_children('account_id');
CREATE TRIGGER journal_entries_postings_writers BEFORE DELETE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION kinko_postings_hold_writers();
CREATE TRIGGER journal_entries_postings_children AFTER DELETE ON journal_entries
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kinko_postings_children('entry_id');
CREATE TRIGGER journal_entries_postings_truncate AFTER TRUNCATE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION kinko_postings_children('entry_id');
-- Column triggers: they fire only when an UPDATE names the column (never for a balance).
CREATE TRIGGER accounts_id_fixed BEFORE UPDATE OF id ON accounts
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION kinko_ledger_key_fixed();
CREATE TRIGGER journal_entries_id_fixed BEFORE UPDATE OF id ON journal_entries
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION kinko_ledger_key_fixed();
CREATE TRIGGER postings_keys_fixed BEFORE UPDATE OF entry_id, account_id ON postings
  FOR EACH ROW WHEN (OLD.entry_id IS DISTINCT FROM NEW.entry_id
                     OR OLD.account_id IS DISTINCT FROM NEW.account_id)
  EXECUTE FUNCTION kinko_ledger_key_fixed();
"""

DOWNGRADE = """
DROP TRIGGER postings_keys_fixed ON postings;
DROP TRIGGER journal_entries_id_fixed ON journal_entries;
DROP TRIGGER accounts_id_fixed ON accounts;
DROP TRIGGER journal_entries_postings_truncate ON journal_entries;
DROP TRIGGER journal_entries_postings_children ON journal_entries;
DROP TRIGGER journal_entries_postings_writers ON journal_entries;
DROP TRIGGER accounts_postings_truncate ON accounts;
DROP TRIGGER accounts_postings_children ON accounts;
DROP TRIGGER accounts_postings_writers ON accounts;
DROP FUNCTION kinko_ledger_key_fixed();
DROP FUNCTION kinko_postings_children();
DROP FUNCTION kinko_postings_hold_writers();
DROP TRIGGER postings_parents ON postings;
DROP FUNCTION kinko_postings_parents();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite checks its foreign keys itself, and cheaply (one process, in memory)
    op.drop_constraint('fk_postings_entry_id_journal_entries', 'postings', type_='foreignkey')
    op.drop_constraint('fk_postings_account_id_accounts', 'postings', type_='foreignkey')
    op.execute(UPGRADE)
    op.execute('ALTER TABLE accounts SET (fillfactor = 80)')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER TABLE accounts RESET (fillfactor)')
    op.execute(DOWNGRADE)
    op.create_foreign_key('fk_postings_account_id_accounts', 'postings', 'accounts',
                          ['account_id'], ['id'])
    op.create_foreign_key('fk_postings_entry_id_journal_entries', 'postings',
                          'journal_entries', ['entry_id'], ['id'])

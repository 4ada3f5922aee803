"""Contract changes enter the sync changes feed: every write to a contract, its rates or its
Activity labels adds a ``diary_changes`` row (entity "contract"), whatever code path made it
(API, client pages, a future invoicing job). Triggers, so no writer can forget it.

On PostgreSQL the trigger takes the same transaction-scoped advisory lock as the sync service
(``sync_service._PG_CHANGES_LOCK``) before inserting, so feed ids still become visible in order.
"""

import peewee

_LOCK = 727_002  # sync_service._PG_CHANGES_LOCK
_TABLES = (("contracts", "id"), ("contract_rates", "contract_id"), ("activity_labels", "contract_id"))


def apply(db):
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql(
            "CREATE FUNCTION diary_contract_changed() RETURNS trigger LANGUAGE plpgsql AS $$"  # noqa: S608
            " BEGIN"
            f"  PERFORM pg_advisory_xact_lock({_LOCK});"
            "  IF TG_TABLE_NAME = 'contracts' THEN"
            "   INSERT INTO diary_changes (contract_id, entity, uuid) VALUES (NEW.id, 'contract', '');"
            "  ELSIF TG_OP = 'DELETE' THEN"
            "   INSERT INTO diary_changes (contract_id, entity, uuid)"
            "    SELECT OLD.contract_id, 'contract', ''"
            "    WHERE EXISTS (SELECT 1 FROM contracts WHERE id = OLD.contract_id);"
            "  ELSE"
            "   INSERT INTO diary_changes (contract_id, entity, uuid) VALUES (NEW.contract_id, 'contract', '');"
            "  END IF;"
            "  RETURN NULL;"
            " END $$"
        )
        for table, _column in _TABLES:
            ops = "INSERT OR UPDATE" if table == "contracts" else "INSERT OR UPDATE OR DELETE"
            db.execute_sql(
                f"CREATE TRIGGER {table}_feed AFTER {ops} ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION diary_contract_changed()"
            )
        return
    for table, column in _TABLES:
        ops = ("INSERT", "UPDATE") if table == "contracts" else ("INSERT", "UPDATE", "DELETE")
        for op in ops:
            row = "OLD" if op == "DELETE" else "NEW"
            guard = f" WHEN EXISTS (SELECT 1 FROM contracts WHERE id = OLD.{column})" if op == "DELETE" else ""  # noqa: S608
            db.execute_sql(
                f"CREATE TRIGGER {table}_feed_{op.lower()} AFTER {op} ON {table}{guard}"  # noqa: S608
                " BEGIN"
                f" INSERT INTO diary_changes (contract_id, entity, uuid) VALUES ({row}.{column}, 'contract', '');"
                " END"
            )

"""The database refuses to change an audit entry, and PostgreSQL to delete one, whatever code asks
(the model and its manager refuse both; this is the floor under them). TRUNCATE stays possible for
whoever owns the database (and for the test suite's flush), and SQLite keeps DELETE for the same
flush, which deletes row by row."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER designs_auditentry_no_update BEFORE UPDATE ON designs_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are immutable'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS designs_auditentry_no_update",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION designs_auditentry_immutable() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are immutable'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER designs_auditentry_no_change BEFORE UPDATE OR DELETE ON designs_auditentry
       FOR EACH ROW EXECUTE FUNCTION designs_auditentry_immutable()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS designs_auditentry_no_change ON designs_auditentry",
    "DROP FUNCTION IF EXISTS designs_auditentry_immutable()",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("designs", "0009_review")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]

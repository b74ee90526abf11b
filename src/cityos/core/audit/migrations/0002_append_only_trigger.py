"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log.

(TRUNCATE, used by test flushes and by an archival job run as the owner, is not a row
operation and still works. SQLite, the laptop default, relies on the application guard.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION cityos_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditentry_append_only
  BEFORE UPDATE OR DELETE ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION cityos_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS cityos_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

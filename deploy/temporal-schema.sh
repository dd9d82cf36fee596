#!/bin/sh
# Sets up (or upgrades) Temporal's two PostgreSQL databases with the SQL schema tool: a one-shot step before the server
# starts, as a production deployment runs it. Every step is idempotent (create-database and setup-schema leave what
# exists; update-schema applies only the versions not applied yet). Connection from the tool's own variables:
# SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD. Run by docker-compose.yml (service temporal-schema) and by
# the native cluster (src/cluster/), with `temporal-sql-tool` on PATH.
set -eu
: "${SQL_PASSWORD:?set SQL_PASSWORD (the Temporal database password)}"
for db in temporal temporal_visibility; do
  temporal-sql-tool --db "$db" create-database
  temporal-sql-tool --db "$db" setup-schema -v 0.0
done
temporal-sql-tool --db temporal update-schema --schema-name postgresql/v12/temporal
temporal-sql-tool --db temporal_visibility update-schema --schema-name postgresql/v12/visibility
echo "temporal-schema: temporal and temporal_visibility are up to date"

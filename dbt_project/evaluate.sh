#!/bin/bash
# dbt-project-evaluator (dbt Labs) on a scratch copy of this dbt project, which stays free of it:
#   DBT_PROJECT_EVALUATOR=/path/to/dbt-project-evaluator DBT_UTILS=/path/to/dbt-utils make evaluate
# (both are public repositories; installed as local packages, no package hub needed). Prints each
# finding; exits 1 when there is one. The project's conventions are its variables in
# dbt_project.yml and its exceptions, each with its reason, in evaluator_exceptions.csv.
set -euo pipefail
: "${DBT_PROJECT_EVALUATOR:?the folder of a dbt-project-evaluator checkout}" "${DBT_UTILS:?the folder of a dbt-utils checkout}"
here=$(cd "$(dirname "$0")" && pwd)
dbt=${DBT:-$here/../.venv/bin/dbt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here"/{dbt_project.yml,profiles.yml,models,macros,seeds,tests} "$work"/
# the evaluator's own dbt_utils dependency is the hub's: point it at the local copy too
cp -r "$DBT_PROJECT_EVALUATOR" "$work/evaluator"
printf 'packages:\n  - local: %s\n' "$DBT_UTILS" > "$work/evaluator/packages.yml"
printf 'packages:\n  - local: %s\n  - local: %s\n' "$DBT_UTILS" "$work/evaluator" > "$work/packages.yml"
cp "$here/evaluator_exceptions.csv" "$work/seeds/dbt_project_evaluator_exceptions.csv"
printf '\nseeds:\n  dbt_project_evaluator:\n    dbt_project_evaluator_exceptions:\n      +enabled: false\n' >> "$work/dbt_project.yml"
cd "$work"
"$dbt" deps --profiles-dir . --quiet
args=(--profiles-dir . --vars "{\"warehouse\": \"$work/evaluator.duckdb\"}" --quiet)
"$dbt" seed "${args[@]}" --select dbt_project_evaluator_exceptions
"$dbt" build "${args[@]}" --select package:dbt_project_evaluator --warn-error-options '{"error": []}' || true
findings=$("$here/../.venv/bin/python" - "$work/evaluator.duckdb" <<'PY'
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
facts = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_name LIKE 'fct_%' "
                    "AND table_name NOT IN ('fct_test_coverage', 'fct_documentation_coverage') ORDER BY 2").fetchall()
total = 0
for schema, table in facts:
    rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').df()
    total += len(rows)
    if len(rows):
        print(f"== {table} ({len(rows)})\n{rows.to_string(max_colwidth=70)}")
for table in ("fct_test_coverage", "fct_documentation_coverage"):
    schema = next(s for s, t in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall() if t == table)
    frame = con.execute(f'SELECT * EXCLUDE (measured_at) FROM "{schema}"."{table}"').df()
    print(f"== {table}\n{frame.to_string()}")
print(f"findings: {total}")
PY
)
echo "$findings"
[[ "$findings" == *"findings: 0" ]]

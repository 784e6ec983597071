# Helpers of the rules' input functions.


def tables_read(wildcards):
    """The curated tables a clean table's job reads besides its own: those it looks up and those it joins."""
    names = dict.fromkeys(LOOKUPS[wildcards.table] + JOINED_TABLES.get(wildcards.table, []))
    return expand("data/{table}.csv", table=[name for name in names if name != wildcards.table])

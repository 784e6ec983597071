# Helpers of the rules' input functions and parameters.


def tables_read(wildcards):
    """The curated tables a clean table's job reads besides its own: those it looks up and those it joins."""
    names = dict.fromkeys(LOOKUPS[wildcards.table] + JOINED_TABLES.get(wildcards.table, []))
    return expand("data/{table}.csv", table=[name for name in names if name != wildcards.table])


def sources_folder(wildcards, input):
    """The folder of the source texts a job reads (empty: no phrase-in-source check), from its inputs."""
    return str(Path(input.sources[0]).parent) if input.sources else ""

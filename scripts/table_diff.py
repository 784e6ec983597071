"""Two versions of a CSV table compared cell by cell: rows matched by the columns that identify them (not by
position), then every changed cell named by its row key and column, with the old and the new value; added and
removed rows and columns, reordered rows and byte-only changes (line ends) are told apart.
"""

import csv
import io
from dataclasses import dataclass

MAX_CELLS_SHOWN = 40  # changed cells listed per table when printed


def read_csv_text(text: str) -> tuple[list[str], list[list[str]]]:
    """Header (repeated names made unique as ``name (2)``) and rows, every cell as the text stored."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], []
    header, seen = [], {}
    for name in rows[0]:
        seen[name] = seen.get(name, 0) + 1
        header.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    width = len(header)
    body = [(row + [""] * width)[:width] if len(row) != width else row for row in rows[1:]]
    return header, body


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def key_columns(header: list[str], *tables: list[dict[str, str]]) -> list[str]:
    """Columns that identify a row in every one of ``tables``: text columns (never results), in table order,
    each taken only when it tells more rows apart (so ``study_label`` is skipped after ``study_id``)."""
    text_columns = [c for c in header
                    if not all(_is_number(row[c]) or row[c] == "" for table in tables for row in table)]
    chosen: list[str] = []
    distinct = [1 if table else 0 for table in tables]
    for column in text_columns:
        if all(d == len(table) for d, table in zip(distinct, tables)):
            break
        candidate = [len({tuple(row[c] for c in chosen + [column]) for row in table}) for table in tables]
        if any(c > d for c, d in zip(candidate, distinct)):
            chosen.append(column)
            distinct = candidate
    return chosen


def _keyed(table: list[dict[str, str]], key: list[str]) -> dict[tuple, dict[str, str]]:
    """Rows by key; a key that still repeats gets its occurrence number ('#2') so no row is lost."""
    keyed, seen = {}, {}
    for row in table:
        base = tuple(row[c] for c in key)
        seen[base] = seen.get(base, 0) + 1
        keyed[base + ((f"#{seen[base]}",) if seen[base] > 1 else ())] = row
    return keyed


def _describe(key: list[str], value: tuple) -> str:
    parts = [f"{c}={v}" for c, v in zip(key, value)]
    parts += list(value[len(key):])  # occurrence number of a repeated key
    return ", ".join(parts) if parts else "(single row)"


@dataclass(frozen=True)
class CellChange:
    """One cell of a table whose text differs: the row (its key, described), the column, old and new text."""

    row: str
    column: str
    old: str
    new: str

    def line(self) -> str:
        return f"row ({self.row}): column '{self.column}': '{self.old}' -> '{self.new}'"


def table_differences(old_text: str, new_text: str) -> tuple[list[str], list[CellChange]]:
    """What changed between two versions of a CSV table: structural notes (columns and rows removed, added or
    reordered; a byte-only change) and every changed cell. Both empty when the tables are equal."""
    old_header, old_rows = read_csv_text(old_text)
    new_header, new_rows = read_csv_text(new_text)
    lines = []
    lines += [f"column removed: '{c}'" for c in old_header if c not in new_header]
    lines += [f"column added: '{c}'" for c in new_header if c not in old_header]
    common = [c for c in new_header if c in old_header]
    if [c for c in old_header if c in common] != common:
        lines.append(f"columns reordered: {old_header} -> {new_header}")
    old_table = [dict(zip(old_header, row)) for row in old_rows]
    new_table = [dict(zip(new_header, row)) for row in new_rows]
    key = key_columns(common, old_table, new_table)
    old_keyed, new_keyed = _keyed(old_table, key), _keyed(new_table, key)
    cells = []
    for value in old_keyed:
        if value not in new_keyed:
            lines.append(f"row removed: {_describe(key, value)}")
            continue
        for column in common:
            before, after = old_keyed[value][column], new_keyed[value][column]
            if before != after:
                cells.append(CellChange(_describe(key, value), column, before, after))
    lines += [f"row added: {_describe(key, value)}" for value in new_keyed if value not in old_keyed]
    if not lines and not cells:
        if [k for k in old_keyed if k in new_keyed] != [k for k in new_keyed if k in old_keyed]:
            lines.append("row order changed (same rows, same cells)")
        elif old_text != new_text:
            lines.append("same cells, different bytes (quoting, line endings or number formatting)")
    return lines, cells


def diff_tables(old_text: str, new_text: str) -> list[str]:
    """What changed between two versions of a CSV table, one line per change, cells as
    ``row (study_id=x, arm_id=y): column 'proportion': '0.5' -> '0.6'``. Empty when the tables are equal."""
    notes, cells = table_differences(old_text, new_text)
    lines = notes + [cell.line() for cell in cells[:MAX_CELLS_SHOWN]]
    if len(cells) > MAX_CELLS_SHOWN:
        lines.append(f"... and {len(cells) - MAX_CELLS_SHOWN} more changed cells")
    return lines

"""Small I/O helpers shared by the workflow's entry points: logging and deterministic, atomic writes."""


import logging
import os
import tempfile
from pathlib import Path

import pandas as pd


def rule_logger(log_path: str | Path, name: str) -> logging.Logger:
    """A logger writing to the rule's ``log:`` file and to stderr (so failures show on the console)."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    formatter = logging.Formatter("%(levelname)s %(message)s")
    for handler in (logging.FileHandler(log_path, mode="w", encoding="utf-8"), logging.StreamHandler()):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


def write_atomically(path: str | Path, content: bytes | str) -> None:
    """Write via a temporary file in the same folder and rename it into place: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=f".{path.name}.") as handle:
        handle.write(data)
        temporary = Path(handle.name)
    os.chmod(temporary, 0o644)
    temporary.replace(path)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """CSV with a stable layout: UTF-8, LF line ends, no index, floats to 6 significant digits."""
    write_atomically(path, table.to_csv(index=False, lineterminator="\n", float_format="%.6g"))


def read_table(path: str | Path) -> pd.DataFrame:
    """A clean or analysis table written by ``write_table``."""
    return pd.read_csv(path, keep_default_na=True, encoding="utf-8")

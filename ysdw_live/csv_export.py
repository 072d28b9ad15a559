"""CSV for spreadsheets: the one helper every download goes through.

Every CSV the app serves is UTF-8 with a leading byte-order mark (so Excel reads it as UTF-8), a
header row, CRLF line ends, and text cells that start like a formula (``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) prefixed with ``'`` so a spreadsheet shows them as text and never runs
them (CSV/formula injection). Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

BOM = "\ufeff"
# Spreadsheets run cells that start like a formula; a leading quote makes them plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Return ``value`` as a CSV cell that a spreadsheet will not run as a formula (numbers unchanged)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return the whole file as text: the byte-order mark, the header row, then every row, each cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return BOM + out.getvalue()


def csv_download(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """Return a UTF-8 CSV attachment (see :func:`csv_text`), never cached."""
    response = Response(csv_text(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response

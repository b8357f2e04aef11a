"""Read and write the CSV files partners and BPJS exchange.

Every CSV the app writes goes through ``write_csv``, which neutralises text
that a spreadsheet would run as a formula (OWASP "CSV injection"): a text
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading apostrophe, which spreadsheets show as text and hide. Numbers
stay numbers: ints are written as they are, and so is text that is only a
number (``-16800``, ``+6281234567890``, a NIK), so amounts, negative figures
and NIK columns keep working in formulas and look-ups.
"""

import csv
import io
import re

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Text that is a plain number cannot carry a formula, whatever its sign.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def neutralise_cell(value):
    """Return ``value`` safe to open in a spreadsheet: formula-like text is prefixed with an apostrophe."""
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def write_csv(header: tuple[str, ...], rows) -> str:
    """Return rows as CSV text with a header, with every text cell neutralised."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([neutralise_cell(cell) for cell in header])
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return stream.getvalue()

"""Read and write the CSV files partners and BPJS exchange."""

import csv
import io


def write_csv(header: tuple[str, ...], rows) -> str:
    """Return rows as CSV text with a header."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue()

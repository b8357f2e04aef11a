"""Read bank statement CSVs (BCA, Mandiri, BSI layouts and a generic one) into credit lines.

Banks export their statements with a few lines about the account first, then
a header row, then one row per transaction, sometimes closing with balance
totals. Each layout below names its columns (in Indonesian or English, as the
bank's export does); the header row is found by those names. Only credits
are kept: debits are money the foundation paid out. A row that looks like a
transaction but cannot be read stops the whole upload with its line number,
so that nothing is half-imported.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext

from ..errors import DomainError


class StatementUnreadable(DomainError):
    """The file is not a statement of the chosen layout, or a line of it cannot be read."""


@dataclass(frozen=True)
class Layout:
    #: Header names (lower case) that may hold each column.
    date: tuple[str, ...]
    description: tuple[str, ...]
    #: One signed amount column ("100,000.00 CR" / "-50.000"), or credit and debit columns apart.
    amount: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    #: A column saying D/K (debit/kredit) or DB/CR for the amount beside it.
    direction: tuple[str, ...] = ()
    #: Amounts written 100.005,00 (Indonesian) rather than 100,005.00.
    decimal_comma: bool | None = None


LAYOUTS = {
    # KlikBCA / myBCA: "Tanggal Transaksi, Keterangan, Cabang, Jumlah, Saldo"; Jumlah ends in CR or DB.
    "bca": Layout(date=("tanggal transaksi", "tanggal"), description=("keterangan",), amount=("jumlah",),
                  decimal_comma=False),
    # Livin' by Mandiri / MCM: separate debit and credit columns.
    "mandiri": Layout(date=("tanggal", "tanggal transaksi", "date", "posting date", "tgl"),
                      description=("keterangan", "description", "remarks", "uraian", "transaction description"),
                      credit=("kredit", "credit", "cr")),
    # BSI Mobile / BSI Net: amount with a D/K column.
    "bsi": Layout(date=("tanggal", "tanggal transaksi", "tgl transaksi", "tgl"),
                  description=("keterangan", "deskripsi", "uraian", "description"),
                  amount=("nominal", "mutasi", "jumlah", "amount"), direction=("d/k", "db/cr", "dk", "tipe", "type")),
    # Anything else: date, description, amount (negative for money out).
    "generic": Layout(date=("date", "tanggal"), description=("description", "keterangan", "deskripsi"),
                      amount=("amount", "jumlah", "nominal")),
}


@dataclass(frozen=True)
class Credit:
    """One credit to the foundation's account."""

    line: int
    booked_on: dt.date
    description: str
    amount_idr: int


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementUnreadable(lazy_gettext("the file is not text"))


def _rows(text: str) -> list[list[str]]:
    sample = "\n".join(text.splitlines()[:40])
    delimiter = max(",;\t", key=sample.count)
    return [[cell.strip().lstrip("'").strip() for cell in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _decimal_comma(text: str) -> bool:
    """Guess the convention: with both marks the last one is decimal; a lone mark before 3 digits groups thousands."""
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        return last_comma > last_dot
    mark, at = ((",", last_comma) if last_comma >= 0 else (".", last_dot))
    if at < 0:
        return False
    grouping = text.count(mark) > 1 or len(text) - at - 1 == 3
    # A grouping comma means decimal dot (English); a grouping dot means decimal comma (Indonesian).
    return (mark == ".") == grouping


def parse_amount(raw: str, decimal_comma: bool | None = None) -> int | None:
    """Read "100,005.00", "100.005,00", "Rp 100.005" or "-50000" as whole rupiah (negative for debits)."""
    text = raw.strip().upper().replace("RP", "").replace(" ", "")
    sign = 1
    for suffix, value in (("CR", 1), ("DB", -1), ("K", 1), ("D", -1)):
        if text.endswith(suffix):
            text, sign = text[: -len(suffix)], value
            break
    if text.startswith("(") and text.endswith(")"):
        text, sign = text[1:-1], -sign
    if text.startswith("-"):
        text, sign = text[1:], -sign
    elif text.startswith("+"):
        text = text[1:]
    if not text or not re.fullmatch(r"[0-9.,]+", text):
        return None
    if decimal_comma is None:
        decimal_comma = _decimal_comma(text)
    thousands, decimal = (".", ",") if decimal_comma else (",", ".")
    whole, _, cents = text.replace(thousands, "").partition(decimal)
    if not whole.isdigit() or (cents and not cents.isdigit()):
        return None
    if cents.strip("0"):
        return None  # rupiah statements carry no cents; a fraction is not one of our amounts
    return sign * int(whole)


def parse_date(raw: str, *, period: tuple[dt.date, dt.date] | None = None) -> dt.date | None:
    """Read 01/12/2026, 01-12-26, 2026-12-01, 01 Des 2026 or BCA's 01/12 (year from the statement's period)."""
    text = raw.strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    months = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "mei": 5, "may": 5, "jun": 6, "jul": 7, "agu": 8,
              "aug": 8, "agt": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11, "des": 12, "dec": 12}
    named = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3})[a-z]*[ -](\d{2,4})", text)
    if named and named.group(2).lower() in months:
        year = int(named.group(3))
        try:
            return dt.date(year + 2000 if year < 100 else year, months[named.group(2).lower()], int(named.group(1)))
        except ValueError:
            return None
    short = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    if short and period:
        day, month = int(short.group(1)), int(short.group(2))
        try:
            found = dt.date(period[1].year, month, day)
            return found if found <= period[1] else dt.date(period[1].year - 1, month, day)
        except ValueError:
            return None
    return None


def _period(rows: list[list[str]]) -> tuple[dt.date, dt.date] | None:
    """Find BCA's "Periode : 01/12/2026 - 31/12/2026" line above the header."""
    for row in rows:
        text = " ".join(row)
        if "periode" in text.lower():
            found = re.findall(r"\d{1,2}/\d{1,2}/\d{4}", text)
            if len(found) == 2:
                start, end = (parse_date(d) for d in found)
                return start, end
    return None


def parse_statement(data: bytes | str, bank: str) -> list[Credit]:
    """Return the statement's credits, or raise :class:`StatementUnreadable` naming the line at fault."""
    if bank not in LAYOUTS:
        raise StatementUnreadable(lazy_gettext("unknown statement layout %(bank)s; choose one of %(layouts)s"),
                                  bank=bank, layouts=", ".join(LAYOUTS))
    layout = LAYOUTS[bank]
    rows = _rows(_decode(data))
    for index, row in enumerate(rows):
        header = [cell.lower() for cell in row]
        date_at, text_at = _column(header, layout.date), _column(header, layout.description)
        amount_at = _column(header, layout.amount) if layout.amount else _column(header, layout.credit)
        if date_at is not None and text_at is not None and amount_at is not None:
            break
    else:
        wanted = " / ".join(layout.date[:1] + layout.description[:1] + (layout.amount or layout.credit)[:1])
        raise StatementUnreadable(lazy_gettext("no header row with the columns %(wanted)s of the %(bank)s layout"),
                                  wanted=wanted, bank=bank)
    direction_at = _column(header, layout.direction) if layout.direction else None
    period = _period(rows[:index])
    credits = []
    for number, row in enumerate(rows[index + 1:], start=index + 2):
        cells = row + [""] * (len(header) - len(row))
        raw_date, raw_amount = cells[date_at], cells[amount_at]
        if not raw_date or raw_date.upper() == "PEND":  # blank, or BCA's not-yet-booked transaction
            continue
        booked_on = parse_date(raw_date, period=period)
        if booked_on is None:
            if not raw_amount or not re.search(r"\d", raw_date):
                continue  # a closing line such as "Saldo Awal", not a transaction
            raise StatementUnreadable(lazy_gettext("line %(line)s: \"%(value)s\" is not a date"),
                                      line=number, value=raw_date)
        if not raw_amount:
            continue  # a debit, in a layout with separate credit and debit columns
        amount = parse_amount(raw_amount, layout.decimal_comma)
        if amount is None:
            raise StatementUnreadable(lazy_gettext("line %(line)s: \"%(value)s\" is not an amount in whole rupiah"),
                                      line=number, value=raw_amount)
        # The direction in its own column, or (BCA's newer export) in the unnamed cell after the amount.
        beside = cells[amount_at + 1].strip().upper() if amount_at + 1 < len(cells) else ""
        direction = cells[direction_at].strip().upper() if direction_at is not None else beside
        if direction in ("D", "DB", "DEBIT", "DEBET"):
            amount = -abs(amount)
        if amount > 0:
            credits.append(Credit(line=number, booked_on=booked_on, description=cells[text_at][:500],
                                  amount_idr=amount))
    return credits

"""Column helpers shared by the models."""

import datetime as dt
import enum

import sqlalchemy as sa


def enum_column(enum_cls: type[enum.Enum]) -> sa.Enum:
    """Store an enum as its lower-case value in a VARCHAR with a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        name=enum_cls.__name__.lower(),
    )


def utcnow() -> dt.datetime:
    """Return the current time as a naive UTC datetime (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


#: Rupiah amounts are whole numbers; BigInteger leaves room for provincial budgets.
Money = sa.BigInteger

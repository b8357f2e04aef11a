"""One page of a query's results: the one way every list pages, counted or not."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db


@dataclass
class Page:
    """One page of results; ``number`` is the page actually shown (never past the last when counted)."""

    items: list
    number: int
    per_page: int
    has_next: bool
    #: Rows in all pages, when the list was counted.
    total: int | None = None
    #: Extra values kept with the page (e.g. the whole query's other figures).
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        """Return whether an earlier page exists."""
        return self.number > 1

    @property
    def pages(self) -> int | None:
        """Return how many pages there are, when the list was counted."""
        return None if self.total is None else max(-(-self.total // self.per_page), 1)

    @property
    def past_end(self) -> bool:
        """Return whether an uncounted page was asked for beyond the last one (the view answers 404)."""
        return not self.items and self.number > 1

    def __iter__(self):
        return iter(self.items)


def page_of(query: sa.Select, number: int, per_page: int, *, count: bool = True, total: int | None = None,
            scalars: bool = True, key=None) -> Page:
    """Return page ``number`` of ``query`` (which must be ordered).

    Counted (``count=True``), a page past the end gives the last page. Not
    counted, it reads ``per_page + 1`` rows, so a page costs the same however
    long the list; a page past the end is empty and :attr:`Page.past_end`.
    ``total`` is the count when it is kept elsewhere (no counting query then).
    ``scalars=False`` keeps each row's columns (for queries of several entities).
    ``key`` (the entity's primary key, for a query of one entity whose order
    an index holds with the key) finds the page's keys first, along the index
    alone, then reads only their rows: page 2,000 of a list then skips index
    entries, not 100,000 whole rows.
    """
    number = max(int(number), 1)
    if count:
        if total is None:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        number = min(number, max(-(-total // per_page), 1))
        items = _read(query, (number - 1) * per_page, per_page, scalars=scalars, key=key)
        return Page(items, number, per_page, has_next=number * per_page < total, total=total)
    rows = _read(query, (number - 1) * per_page, per_page + 1, scalars=scalars, key=key)
    return Page(rows[:per_page], number, per_page, has_next=len(rows) > per_page)


def _read(query: sa.Select, offset: int, limit: int, *, scalars: bool, key) -> list:
    """Return ``limit`` rows of ``query`` from ``offset``; with ``key``, by a deferred join on it."""
    if key is None:
        window = query.offset(offset).limit(limit)
        return list(db.session.scalars(window) if scalars else db.session.execute(window))
    keys = list(db.session.scalars(query.with_only_columns(key).offset(offset).limit(limit)))
    if not keys:
        return []
    found = {getattr(row, key.key): row for row in db.session.scalars(query.where(key.in_(keys)).order_by(None))}
    return [found[k] for k in keys]

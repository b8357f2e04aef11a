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
            scalars: bool = True) -> Page:
    """Return page ``number`` of ``query`` (which must be ordered).

    Counted (``count=True``), a page past the end gives the last page. Not
    counted, it reads ``per_page + 1`` rows, so a page costs the same however
    long the list; a page past the end is empty and :attr:`Page.past_end`.
    ``total`` is the count when it is kept elsewhere (no counting query then).
    ``scalars=False`` keeps each row's columns (for queries of several entities).
    """
    number = max(int(number), 1)
    read = db.session.scalars if scalars else lambda q: db.session.execute(q)
    if count:
        if total is None:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        number = min(number, max(-(-total // per_page), 1))
        items = list(read(query.offset((number - 1) * per_page).limit(per_page)))
        return Page(items, number, per_page, has_next=number * per_page < total, total=total)
    rows = list(read(query.offset((number - 1) * per_page).limit(per_page + 1)))
    return Page(rows[:per_page], number, per_page, has_next=len(rows) > per_page)

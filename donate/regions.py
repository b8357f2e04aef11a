"""Province and regency names, from python-stdnum's ``id/loc`` data."""

from functools import lru_cache

from stdnum import numdb


@lru_cache(maxsize=None)
def regency(code: str) -> tuple[str, str] | None:
    """Return (province name, regency name) for a 4-digit code, or ``None`` if unknown."""
    if len(code) != 4 or not code.isdigit():
        return None
    parts = numdb.get("id/loc").info(code)
    if len(parts) != 2 or not parts[0][1] or not parts[1][1]:
        return None
    return parts[0][1]["name_id"], parts[1][1]["name_id"].title()


def regency_name(code: str) -> str:
    """Return the regency's name for display, or the code itself if unknown."""
    found = regency(code)
    return found[1] if found else code

"""Campaign pictures (covers, updates): checked and resized with Pillow, stored under ``instance/media/``."""

import hashlib
import io
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from ..access.audit import record_action
from ..errors import DomainError

#: Widths kept of each picture: the large one for desktops and link previews, the small one for phones.
WIDTHS = (1200, 600)
#: Largest upload accepted, in bytes.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
#: Largest picture Pillow is asked to decode (pixels), against decompression bombs.
MAX_PIXELS = 40_000_000


class ImageRefused(DomainError):
    """The upload is not a picture we can use; the message says why."""

    default = lazy_gettext("the file is not a JPEG, PNG or WebP picture")


def media_dir() -> Path:
    """Return the folder the pictures live in (created on first use)."""
    folder = Path(current_app.instance_path) / "media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_image(data: bytes) -> str:
    """Check, orient and resize an uploaded picture; store it as JPEG in each width; return its name.

    The name is the content's hash, so a stored file never changes and can be
    cached for a year.
    """
    if not data:
        raise ImageRefused(lazy_gettext("the file is empty"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRefused(lazy_gettext("the picture is larger than 8 MB"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRefused(lazy_gettext("the picture has too many pixels"))
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ImageRefused() from None
    name = hashlib.sha256(data).hexdigest()[:32]
    for width in WIDTHS:
        copy = image.copy()
        copy.thumbnail((width, width * 2))
        copy.save(media_dir() / file_name(name, width), "JPEG", quality=80, optimize=True, progressive=True)
    return name


def set_cover(campaign, data: bytes, *, user) -> str:
    """Store an uploaded cover for ``campaign`` and show it on its page; return the picture's name."""
    campaign.cover_image = save_image(data)
    record_action("campaign.edit", user=user, campaign=campaign, subject="cover",
                  params={"cover": campaign.cover_image})
    return campaign.cover_image


def file_name(name: str, width: int) -> str:
    """Return the stored file of picture ``name`` at ``width``."""
    return f"{name}-{width}.jpg"

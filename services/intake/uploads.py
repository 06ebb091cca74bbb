"""The files citizens upload with a complaint (lampiran), kept by their content's sha256.

A file's type is read from its content, never from its name or the client's word.
Images are decoded and encoded again from their pixels alone, upright, so nothing a phone
wrote into them (EXIF with the GPS position, XMP, comments, text chunks, colour
profiles) can identify the reporter. PDFs, videos and audio are kept as received: their
metadata would need a tool per format to remove.

Files live at `root/<sha[:2]>/<sha>`, each written whole or not at all, so every intake
replica may share one root. The calls block: callers run them in a thread
(`asyncio.to_thread`).
"""

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import filetype
from PIL import Image, ImageOps

from services.intake.schemas import ATTACHMENT_TYPES

RefusalReason = Literal["empty", "too_large", "type"]

# The Pillow format each allowed image type is decoded and encoded as.
_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What a file that claims to be an image and does not decode raises from Pillow.
_UNDECODABLE = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


@dataclass(frozen=True)
class StoredFile:
    sha256: str  # of the stored bytes, which for an image are the re-encoded ones
    media_type: str
    size_bytes: int


@dataclass(frozen=True)
class CheckedFile:
    """A file that may be kept, as it would be: its bytes and how the complaint names them."""

    data: bytes
    file: StoredFile


class UploadRefused(Exception):
    """An upload the store will not keep. The reason is a code: the pages word it for people."""

    def __init__(self, reason: RefusalReason, limit_bytes: int | None = None) -> None:
        detail = f" (limit {limit_bytes} bytes)" if limit_bytes is not None else ""
        super().__init__(f"upload refused: {reason}{detail}")
        self.reason: RefusalReason = reason
        self.limit_bytes = limit_bytes


def media_type_of(data: bytes) -> str | None:
    """The allowed type the content shows, or None (text, HTML, SVG, ZIP, ...)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    guess = filetype.guess(data)
    mime = guess.mime if guess is not None else None
    return mime if mime in ATTACHMENT_TYPES else None


def without_metadata(data: bytes, media_type: str) -> bytes:
    """The image's pixels, turned upright by its EXIF orientation, in the same format and
    nothing else. An image that does not decode, or has more pixels than
    `Image.MAX_IMAGE_PIXELS` (a decompression bomb), is refused as of the wrong type."""
    image_format = _IMAGE_FORMATS[media_type]
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            limit = Image.MAX_IMAGE_PIXELS  # None when Pillow's check is turned off
            if limit is not None and image.width * image.height > limit:
                raise UploadRefused("type")
            transparency = image.info.get("transparency")
            upright = ImageOps.exif_transpose(image)  # decodes every pixel
    except _UNDECODABLE as error:
        raise UploadRefused("type") from error
    # Pillow's encoders copy some of `info` (a JPEG's comment, a PNG's colour profile) into
    # what they write unless told otherwise: start from nothing.
    upright.info = {}
    options: dict[str, Any] = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    if image_format == "PNG" and transparency is not None:
        options["transparency"] = transparency  # pixels, not metadata
    out = io.BytesIO()
    upright.save(out, format=image_format, **options)
    return out.getvalue()


class UploadStore:
    """A directory of uploaded files, each named by its sha256; storing one twice is a no-op."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def check(self, data: bytes) -> "CheckedFile":
        """The file as it would be kept, written nowhere; UploadRefused when it may not be."""
        if not data:
            raise UploadRefused("empty")
        if len(data) > self.max_bytes:
            raise UploadRefused("too_large", limit_bytes=self.max_bytes)
        media_type = media_type_of(data)
        if media_type is None:
            raise UploadRefused("type")
        kept = without_metadata(data, media_type) if media_type in _IMAGE_FORMATS else data
        file = StoredFile(
            sha256=hashlib.sha256(kept).hexdigest(), media_type=media_type, size_bytes=len(kept)
        )
        return CheckedFile(kept, file)

    def keep(self, checked: "CheckedFile") -> StoredFile:
        path = self._path(checked.file.sha256)
        if not path.exists():
            self._write(path, checked.data)
        return checked.file

    def put(self, data: bytes) -> StoredFile:
        """`check` and `keep` in one."""
        return self.keep(self.check(data))

    def get(self, sha256: str) -> tuple[bytes, str] | None:
        """The file's content and media type; None for no such file or a malformed name."""
        if not _SHA256.fullmatch(sha256):
            return None
        try:
            data = self._path(sha256).read_bytes()
        except FileNotFoundError:
            return None
        # The type is read again from the content: the store kept only allowed types.
        media_type = media_type_of(data)
        if media_type is None:
            raise ValueError(f"stored file {sha256} is of no allowed type")
        return data, media_type

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        """Write to a temporary file beside the target and rename it over: a reader, or
        another replica storing the same file, sees all of it or none."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

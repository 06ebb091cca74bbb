"""The upload store (services/intake/uploads.py): types by content, images without metadata."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from services.intake.uploads import StoredFile, UploadRefused, UploadStore

MAX_BYTES = 1024 * 1024
GPS_IFD = ExifTags.IFD.GPSInfo  # 0x8825
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def store(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "uploads", max_bytes=MAX_BYTES)


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refusal(store: UploadStore, data: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        store.put(data)
    return caught.value


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_jpeg_is_stored_without_its_exif_and_gps_position(store: UploadStore) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 12.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 49.0, 10.0)
    original = encoded(Image.new("RGB", (40, 30), "red"), "JPEG", exif=exif)
    assert opened(original).getexif().get_ifd(GPS_IFD), "the fixture carries no GPS"

    stored = store.put(original)

    data, media_type = store.get(stored.sha256) or (b"", "")
    image = opened(data)
    assert media_type == stored.media_type == "image/jpeg"
    assert image.format == "JPEG" and image.size == (40, 30)
    assert not image.getexif()
    assert GPS_IFD not in image.getexif() and not image.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in data and b"PhoneMaker" not in data


def test_the_exif_orientation_is_applied(store: UploadStore) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: rotate 90° clockwise
    original = encoded(Image.new("RGB", (20, 10), "blue"), "JPEG", exif=exif)

    stored = store.put(original)

    data, _ = store.get(stored.sha256) or (b"", "")
    image = opened(data)
    assert image.size == (10, 20)
    assert ExifTags.Base.Orientation not in image.getexif()


def test_a_png_loses_its_text_chunks_and_keeps_its_pixels(store: UploadStore) -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Budi Santoso")
    text.add_itxt("Comment", "Jl. Merdeka 17, Jakarta")
    picture = Image.new("RGBA", (8, 8), (10, 20, 30, 128))
    original = encoded(picture, "PNG", pnginfo=text)
    assert opened(original).info.get("Author") == "Budi Santoso", "the fixture carries no text"

    stored = store.put(original)

    data, media_type = store.get(stored.sha256) or (b"", "")
    image = opened(data)
    assert media_type == "image/png"
    assert "Author" not in image.info and "Comment" not in image.info
    assert b"Budi" not in data and b"Merdeka" not in data
    assert image.getpixel((3, 3)) == (10, 20, 30, 128)


def test_a_webp_is_stored_as_webp(store: UploadStore) -> None:
    original = encoded(Image.new("RGB", (16, 16), "green"), "WEBP")

    stored = store.put(original)

    assert stored.media_type == "image/webp"
    data, _ = store.get(stored.sha256) or (b"", "")
    assert opened(data).format == "WEBP"


def test_the_type_comes_from_the_content_not_the_name(store: UploadStore) -> None:
    png = encoded(Image.new("RGB", (4, 4)), "PNG")
    # The store is given bytes only: whatever a client called the file, PNG is PNG.
    assert store.put(png).media_type == "image/png"


@pytest.mark.parametrize(
    "content",
    [
        b"Jalan rusak di depan pasar sejak Januari.\n",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ],
    ids=["text", "html", "svg"],
)
def test_text_html_and_svg_are_refused_as_of_the_wrong_type(
    store: UploadStore, content: bytes
) -> None:
    assert refusal(store, content).reason == "type"


def test_a_zip_is_refused_as_of_the_wrong_type(store: UploadStore) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("foto.jpg", b"not really")
    assert refusal(store, out.getvalue()).reason == "type"


def test_a_jpeg_that_does_not_decode_is_refused(store: UploadStore) -> None:
    jpeg = encoded(Image.new("RGB", (64, 64), "white"), "JPEG")
    assert refusal(store, jpeg[:40]).reason == "type"
    assert stored_files(store.root) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_with_too_many_pixels_is_refused(
    store: UploadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = encoded(Image.new("L", (100, 100)), "PNG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100 - 1)
    assert refusal(store, png).reason == "type"


def test_empty_data_is_refused(store: UploadStore) -> None:
    assert refusal(store, b"").reason == "empty"


def test_data_over_the_limit_is_refused_naming_the_limit(store: UploadStore) -> None:
    refused = refusal(store, b"%PDF-" + b"0" * (MAX_BYTES - 4))
    assert refused.reason == "too_large"
    assert refused.limit_bytes == MAX_BYTES
    # One byte less is no longer too large.
    assert store.put(b"%PDF-" + b"0" * (MAX_BYTES - 5)).size_bytes == MAX_BYTES


def test_a_pdf_is_stored_byte_for_byte_under_the_sha256_of_its_bytes(store: UploadStore) -> None:
    stored = store.put(PDF)

    sha256 = hashlib.sha256(PDF).hexdigest()
    assert stored == StoredFile(sha256=sha256, media_type="application/pdf", size_bytes=len(PDF))
    assert store.get(sha256) == (PDF, "application/pdf")
    assert (store.root / sha256[:2] / sha256).read_bytes() == PDF


def test_an_image_is_named_by_the_sha256_of_its_stored_bytes(store: UploadStore) -> None:
    original = encoded(Image.new("RGB", (12, 12), "red"), "JPEG", comment=b"a comment")

    stored = store.put(original)

    data, _ = store.get(stored.sha256) or (b"", "")
    assert data != original and b"a comment" not in data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size_bytes == len(data)


def test_storing_the_same_file_twice_keeps_one_file(store: UploadStore) -> None:
    jpeg = encoded(Image.new("RGB", (12, 12), "red"), "JPEG")

    assert store.put(PDF) == store.put(PDF)
    assert store.put(jpeg) == store.put(jpeg)

    assert len(stored_files(store.root)) == 2


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "../../" + "a" * 58, "a" * 63, "a" * 65, "", "/" + "a" * 63]
)
def test_get_of_a_malformed_name_is_none(store: UploadStore, name: str) -> None:
    store.put(PDF)
    assert store.get(name) is None


def test_get_of_a_stored_file_in_uppercase_hex_is_none(store: UploadStore) -> None:
    stored = store.put(PDF)
    assert store.get(stored.sha256.upper()) is None


def test_get_of_an_unknown_sha256_is_none(store: UploadStore) -> None:
    assert store.get(hashlib.sha256(b"never stored").hexdigest()) is None


def test_a_checked_file_is_written_only_when_kept(store: UploadStore) -> None:
    checked = store.check(PDF)
    assert stored_files(store.root) == []
    assert store.keep(checked) == checked.file
    assert [p.name for p in stored_files(store.root)] == [checked.file.sha256]

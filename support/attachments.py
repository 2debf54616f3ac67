"""What may be attached to a ticket message, decided from the file's content, never its name or
the browser's Content-Type: JPEG, PNG and WebP images (opened with Pillow, refused when their
pixel dimensions are huge, verified, then re-encoded so no metadata — GPS position, camera —
survives) and PDF documents without scripts. At most ATTACHMENT_MAX_BYTES each and
ATTACHMENTS_PER_MESSAGE per message; a name with a path separator or control character is
refused. Everything is checked before anything is stored: one bad file stores none.
"""

import io
import os
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from config.api_errors import ApplicationError

_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
PDF_SIGNATURE = b"%PDF-"
# PDF features that run something when the file is opened.
_PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/OpenAction", b"/AA")
CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "pdf": "pdf"}
NAME_MAX_LENGTH = 100


@dataclass
class CleanFile:
    name: str
    kind: str
    content: bytes

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    def as_django_file(self) -> ContentFile:
        return ContentFile(self.content, name=f"file.{EXTENSIONS[self.kind]}")


def _refuse(message: str, code: str):
    raise ApplicationError(message, code=code, fields={"file": [message]})


def file_kind(head: bytes) -> str | None:
    for signature, kind in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(PDF_SIGNATURE):
        return "pdf"
    return None


def safe_name(raw: str) -> str:
    """The name shown and offered on download: refused with a path separator or a control
    character (a name is a label, never a path)."""
    name = (raw or "").strip()
    if not name:
        _refuse(_("The file has no name."), "bad_file_name")
    if any(ch in name for ch in "/\\") or name in (".", ".."):
        _refuse(
            _("A file name may not contain a path (/ or \\): rename the file and try again."),
            "bad_file_name",
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        _refuse(
            _("The file name contains control characters: rename the file and try again."),
            "bad_file_name",
        )
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        name = (
            (stem[: NAME_MAX_LENGTH - len(extension) - 1] + dot + extension)
            if dot
            else name[:NAME_MAX_LENGTH]
        )
    return name


def _clean_image(data: bytes, kind: str, name: str) -> bytes:
    max_pixels = settings.SUPPORT_ATTACHMENT_MAX_PIXELS
    too_large = _("The image %(name)s is too large in pixels: at most %(mp)s megapixels.") % {
        "name": name,
        "mp": max_pixels // 1_000_000,
    }
    not_image = _("The file %(name)s is not a readable image.") % {"name": name}
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns first; here it refuses, like our pixel limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
        with probe:
            # The header's dimensions, read before any pixel is decoded: a small file that
            # would unpack to gigabytes (a decompression bomb) stops here.
            width, height = probe.size
            if width * height > max_pixels:
                _refuse(too_large, "image_too_large")
            if probe.format.lower() != kind:
                _refuse(not_image, "not_an_image")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            out = io.BytesIO()
            # Re-encoding keeps only the pixels: EXIF (GPS, camera), XMP, comments are dropped.
            if kind == "jpeg":
                image.convert("RGB").save(out, format="JPEG", quality=90)
            elif kind == "png":
                clean = (
                    image
                    if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA")
                    else image.convert("RGBA")
                )
                clean.save(out, format="PNG")
            else:
                image.save(out, format="WEBP", quality=90)
            return out.getvalue()
    except ApplicationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(too_large, "image_too_large")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(not_image, "not_an_image")
    raise AssertionError("unreachable")


def _clean_pdf(data: bytes, name: str) -> bytes:
    if any(marker in data for marker in _PDF_ACTIVE):
        _refuse(
            _("The PDF %(name)s contains scripts or embedded files, which are not accepted.")
            % {"name": name},
            "pdf_active_content",
        )
    return data


def attachments_clean(uploads) -> list[CleanFile]:
    """Check every uploaded file; refuse the lot on the first bad one (nothing is stored)."""
    uploads = list(uploads or [])
    limit = settings.SUPPORT_ATTACHMENTS_PER_MESSAGE
    if len(uploads) > limit:
        _refuse(
            _("At most %(n)s files per message.") % {"n": limit},
            "too_many_files",
        )
    max_bytes = settings.SUPPORT_ATTACHMENT_MAX_BYTES
    cleaned = []
    for upload in uploads:
        name = safe_name(getattr(upload, "name", ""))
        if upload.size > max_bytes:
            _refuse(
                _("The file %(name)s is too large: at most %(mb)s MB.")
                % {"name": name, "mb": max_bytes // (1024 * 1024)},
                "file_too_large",
            )
        upload.seek(0)
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            _refuse(
                _("The file %(name)s is too large: at most %(mb)s MB.")
                % {"name": name, "mb": max_bytes // (1024 * 1024)},
                "file_too_large",
            )
        kind = file_kind(data[:16])
        if kind is None:
            _refuse(
                _(
                    "The file %(name)s is not accepted: only photos (JPEG, PNG, WebP) and PDF "
                    "documents can be attached."
                )
                % {"name": name},
                "file_type_refused",
            )
        content = _clean_pdf(data, name) if kind == "pdf" else _clean_image(data, kind, name)
        cleaned.append(CleanFile(name=name, kind=kind, content=content))
    return cleaned


# --- files left behind -------------------------------------------------------------------------

SWEEP_BATCH = 500


def _stored_files(storage, *, older_than: float):
    """Names (relative to the storage) of the files written before `older_than` (epoch)."""
    root = storage.location
    for folder, _dirs, files in os.walk(root):
        for file_name in files:
            path = os.path.join(folder, file_name)
            if os.path.getmtime(path) < older_than:
                yield os.path.relpath(path, root).replace(os.sep, "/")


def orphan_attachments_sweep(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete attachment files that no attachment row names. A file is written while its message
    is saved; if that transaction then rolls back (a later check refused the message), the row
    is gone and the file stays. Only files older than `older_than` are looked at, so a message
    still being written keeps its file. Returns how many files were deleted."""
    from .models_tickets import TicketAttachment, ticket_file_storage

    storage = ticket_file_storage()
    if not os.path.isdir(storage.location):
        return 0
    cutoff = (timezone.now() - older_than).timestamp()
    deleted = 0
    names = list(_stored_files(storage, older_than=cutoff))
    for start in range(0, len(names), SWEEP_BATCH):
        batch = names[start : start + SWEEP_BATCH]
        kept = set(TicketAttachment.objects.filter(file__in=batch).values_list("file", flat=True))
        for name in batch:
            if name not in kept:
                storage.delete(name)
                deleted += 1
    return deleted

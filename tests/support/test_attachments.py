"""Attachments: images and PDF only, decided from the content; each bad file refused with a
clear message and nothing stored; metadata stripped; served only to the owner and staff, as a
download with nosniff."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from backoffice import roles
from config.api_errors import ApplicationError
from support import tickets
from support.models_tickets import TicketAttachment, TicketMessage
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff, staff_client

from .factories import ticket

pytestmark = pytest.mark.django_db


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 27.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _png(size=(20, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("1", size).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def owner_ticket():
    customer = UserFactory()
    return customer, ticket(customer)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _post_files(user, t, *files):
    return _api(user).post(
        f"/api/v1/tickets/{t.reference}/attachments/", {"file": list(files)}, format="multipart"
    )


def test_a_photo_is_stored_without_its_metadata_and_downloaded_by_its_owner(
    client, owner_ticket, settings
):
    customer, t = owner_ticket
    client.force_login(customer)
    response = client.post(
        reverse("support:ticket", args=[t.reference]),
        {"body": "截图", "files": [_upload("receipt.jpg", _jpeg_with_gps(), "image/jpeg")]},
    )
    assert response.status_code == 302
    attachment = TicketAttachment.objects.get()
    stored = attachment.file.path
    assert str(settings.PRIVATE_MEDIA_ROOT) in stored and "static" not in stored
    with Image.open(stored) as image:
        assert not image.getexif()
        assert image.size == (40, 30)
    page = client.get(reverse("support:ticket", args=[t.reference])).content.decode()
    download = reverse("support:attachment", args=[attachment.pk])
    assert download in page
    got = client.get(download)
    assert got.status_code == 200
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Disposition"].startswith("attachment")
    assert got["Content-Type"] == "image/jpeg"
    assert b"SpyCam" not in b"".join(got.streaming_content)


def test_a_pdf_is_accepted_through_the_api(owner_ticket):
    customer, t = owner_ticket
    response = _post_files(customer, t, _upload("账单.pdf", PDF, "application/pdf"))
    assert response.status_code == 201, response.content
    listed = _api(customer).get(f"/api/v1/tickets/{t.reference}/attachments/").json()
    assert [a["name"] for a in listed] == ["账单.pdf"]
    got = _api(customer).get(listed[0]["download"])
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"


class RawUpload(io.BytesIO):
    """A file as a hostile client could hand it to the service (Django's own parser already
    drops directory parts; the service checks again, for every channel)."""

    def __init__(self, name, content):
        super().__init__(content)
        self.name, self.size = name, len(content)


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, "file_type_refused"),  # renamed executable
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "file_type_refused",
        ),
        ("page.html", b"<html><script>alert(document.cookie)</script></html>", "file_type_refused"),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "not_an_image"),
        (
            "evil.pdf",
            PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /JS (app.alert(1)) >>"),
            "pdf_active_content",
        ),
        ("../../etc/passwd.png", _png(), "bad_file_name"),
        ("dir\\name.png", _png(), "bad_file_name"),
        ("bad\x00name.png", _png(), "bad_file_name"),
        ("bad\nname.png", _png(), "bad_file_name"),
    ],
)
def test_each_bad_file_is_refused_and_nothing_is_stored(owner_ticket, name, content, code):
    customer, t = owner_ticket
    before = TicketMessage.objects.count()
    with pytest.raises(ApplicationError) as refused:
        tickets.ticket_reply_by_customer(
            ticket=t, customer=customer, body="附件", files=[RawUpload(name, content)]
        )
    assert refused.value.detail.code == code
    assert refused.value.fields["file"][0]
    if code != "bad_file_name":
        response = _post_files(customer, t, _upload(name, content))
        assert response.status_code == 400 and response.json()["code"] == code
        assert response.json()["errors"]["file"]
    assert TicketMessage.objects.count() == before
    assert not TicketAttachment.objects.exists()


def test_an_image_bomb_is_refused_before_it_is_decoded(owner_ticket):
    customer, t = owner_ticket
    bomb = _png((12_000, 12_000))  # 144 megapixels, a few hundred kB on the wire
    assert len(bomb) < 1024 * 1024
    response = _post_files(customer, t, _upload("bomb.png", bomb))
    assert response.status_code == 400 and response.json()["code"] == "image_too_large"
    assert not TicketAttachment.objects.exists()


def test_size_and_count_limits(owner_ticket, settings):
    customer, t = owner_ticket
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 1000
    big = PDF + b"%" + b"0" * 2000
    response = _post_files(customer, t, _upload("big.pdf", big))
    assert response.status_code == 400 and response.json()["code"] == "file_too_large"
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    six = [_upload(f"{i}.pdf", PDF) for i in range(6)]
    response = _post_files(customer, t, *six)
    assert response.status_code == 400 and response.json()["code"] == "too_many_files"
    assert not TicketAttachment.objects.exists()
    five = [_upload(f"{i}.pdf", PDF) for i in range(5)]
    assert _post_files(customer, t, *five).status_code == 201
    assert TicketAttachment.objects.count() == 5


def test_only_the_owner_and_support_staff_get_an_attachment(client, owner_ticket):
    customer, t = owner_ticket
    _post_files(customer, t, _upload("a.pdf", PDF))
    attachment = TicketAttachment.objects.get()
    client.force_login(UserFactory())
    assert client.get(reverse("support:attachment", args=[attachment.pk])).status_code == 404
    other_api = _api(UserFactory())
    assert (
        other_api.get(f"/api/v1/tickets/{t.reference}/attachments/{attachment.pk}/").status_code
        == 404
    )
    agent_url = reverse("backoffice:support_attachment", args=[attachment.pk])
    got = staff_client(staff(roles.SUPPORT_AGENT)).get(agent_url)
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"
    assert staff_client(staff(roles.TELLER)).get(agent_url).status_code == 404


def test_a_file_on_an_internal_note_is_not_the_customers(owner_ticket):
    customer, t = owner_ticket
    agent = staff(roles.SUPPORT_AGENT)
    staff_client(agent).post(
        reverse("backoffice:support_ticket_reply", args=[t.reference]),
        {"body": "内部资料", "internal": "on", "files": [_upload("internal.pdf", PDF)]},
    )
    attachment = TicketAttachment.objects.get()
    assert attachment.message.internal
    api = _api(customer)
    assert api.get(f"/api/v1/tickets/{t.reference}/attachments/").json() == []
    assert api.get(f"/api/v1/tickets/{t.reference}/attachments/{attachment.pk}/").status_code == 404


def test_a_file_whose_message_rolled_back_is_swept_and_kept_files_stay(
    owner_ticket, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path  # only this test's files
    customer, owned = owner_ticket
    from datetime import timedelta

    from django.db import transaction

    from support.attachments import orphan_attachments_sweep

    kept = tickets.ticket_reply_by_customer(
        ticket=owned,
        customer=customer,
        body="照片",
        files=[_upload("kept.png", _png(), "image/png")],
    ).attachments.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        tickets.ticket_reply_by_customer(
            ticket=owned,
            customer=customer,
            body="会回滚",
            files=[_upload("lost.png", _png(), "image/png")],
        )
        raise RuntimeError("a later step refused the message")
    storage = kept.file.storage
    on_disk = lambda: sorted(  # noqa: E731
        name for name in _all_files(storage.location)
    )
    assert len(on_disk()) == 2  # the rolled-back message's file stayed behind

    assert orphan_attachments_sweep() == 0  # too fresh: it may belong to a message being written
    assert orphan_attachments_sweep(older_than=timedelta(seconds=-60)) == 1
    assert on_disk() == [kept.file.name]
    assert kept.file.storage.exists(kept.file.name)


def _all_files(root):
    import os

    for folder, _dirs, files in os.walk(root):
        for name in files:
            yield os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")

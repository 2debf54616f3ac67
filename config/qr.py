"""QR codes as inline SVG: no image files, nothing for the CSP to block."""

from io import BytesIO

import qrcode
import qrcode.image.svg


def qr_svg(data: str, *, box_size: int = 8) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()

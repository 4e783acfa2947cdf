"""QR codes for the pages and the printed summary (a link to share, an authenticator's key)."""

from __future__ import annotations

import io


def qr_svg(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_inline(scale=3, border=2, dark="#000", light="#fff")


def qr_png(text: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=2)
    return out.getvalue()

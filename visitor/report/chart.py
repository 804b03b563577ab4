"""The trend chart as a PNG: small multiples, one panel per key measure, drawn with Pillow.

Small multiples, not one crowded chart: restraint counts and agency percentages do not share a scale,
and each panel can be read without a legend.
"""

from __future__ import annotations

import io

PANEL_W, PANEL_H = 360, 200
COLUMNS = 3
INK, GRID, BAR, LAST = (33, 37, 41), (206, 212, 218), (70, 110, 160), (190, 60, 40)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def draw(panels: list[tuple[str, list[str], list[float | None]]]) -> bytes:
    """``panels``: (title, x labels, values). Returns PNG bytes."""
    from PIL import Image, ImageDraw

    rows = max(1, -(-len(panels) // COLUMNS))
    image = Image.new("RGB", (PANEL_W * COLUMNS, PANEL_H * rows), "white")
    pen = ImageDraw.Draw(image)
    title_font, small = _font(15), _font(11)
    for index, (title, labels, values) in enumerate(panels):
        ox, oy = (index % COLUMNS) * PANEL_W, (index // COLUMNS) * PANEL_H
        pen.text((ox + 12, oy + 8), title, fill=INK, font=title_font)
        left, right, top, bottom = ox + 40, ox + PANEL_W - 12, oy + 34, oy + PANEL_H - 28
        present = [v for v in values if v is not None]
        high = max(present) if present else 0
        high = high if high > 0 else 1
        pen.line([(left, bottom), (right, bottom)], fill=INK)
        pen.line([(left, top), (left, bottom)], fill=GRID)
        pen.text((ox + 6, top - 6), f"{high:g}", fill=INK, font=small)
        pen.text((ox + 6, bottom - 10), "0", fill=INK, font=small)
        n = max(len(values), 1)
        slot = (right - left) / n
        for i, value in enumerate(values):
            x0 = left + i * slot + slot * 0.18
            x1 = left + (i + 1) * slot - slot * 0.18
            if value is None:
                pen.text((x0, bottom - 14), "–", fill=GRID, font=small)
            elif value > 0:
                y = bottom - (bottom - top) * (value / high)
                pen.rectangle([x0, y, x1, bottom - 1], fill=LAST if i == n - 1 else BAR)
        for i in (0, n - 1) if n > 1 else (0,):
            if i < len(labels):
                pen.text((left + i * slot, bottom + 6), labels[i], fill=INK, font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()

"""The initials circle is readable whatever the user's hue: white on every background the CSS makes."""

from __future__ import annotations

import colorsys
import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css"


def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("sheet", ["lms.css", "portal.css"])
def test_white_initials_meet_the_contrast_minimum_on_every_hue(sheet: str) -> None:
    css = (CSS / sheet).read_text(encoding="utf-8")
    match = re.search(
        r"\.lms-avatar-initials \{.*?background: hsl\(var\(--avatar-hue, \d+\) (\d+)% (\d+)%\)", css, re.S
    )
    assert match, f"no initials background in {sheet}"
    saturation, lightness = int(match.group(1)) / 100, int(match.group(2)) / 100
    worst = min(
        1.05 / (_luminance(colorsys.hls_to_rgb(hue / 360, lightness, saturation)) + 0.05)
        for hue in range(360)
    )
    assert worst >= 4.5, f"white initials reach only {worst:.2f}:1 on some hue"

"""The dashboard's own colours meet WCAG AA contrast, in the light and the dark scheme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.dashboard.palette import PAIRS, PALETTE, contrast

CSS = Path(__file__).resolve().parents[3] / "bot" / "dashboard" / "static" / "app.css"


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("scheme", [0, 1], ids=["light", "dark"])
@pytest.mark.parametrize(("fore", "back", "needed"), PAIRS)
def test_every_pair_is_readable(scheme: int, fore: str, back: str, needed: float) -> None:
    ratio = contrast(PALETTE[fore][scheme], PALETTE[back][scheme])
    assert ratio >= needed, f"{fore} on {back}: {ratio:.2f} < {needed}"


def test_the_stylesheet_uses_the_tested_palette() -> None:
    css = CSS.read_text()
    light, _, dark = css.partition("prefers-color-scheme: dark")
    for name, (day, night) in PALETTE.items():
        assert re.search(rf"--fallback-{name}:\s*{day};", light), name
        assert re.search(rf"--fallback-{name}:\s*{night};", dark), name

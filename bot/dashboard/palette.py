"""The dashboard's own colours (used when Telegram sends no theme), and WCAG contrast."""

from __future__ import annotations

# name -> (light, dark); the names are Telegram's theme parameters.
PALETTE: dict[str, tuple[str, str]] = {
    "bg-color": ("#ffffff", "#17212b"),
    "text-color": ("#1b1f24", "#f5f5f5"),
    "hint-color": ("#5b6470", "#a3afbd"),
    "link-color": ("#0b57d0", "#79b8ff"),
    "button-color": ("#0b57d0", "#2f74c0"),
    "button-text-color": ("#ffffff", "#ffffff"),
    "secondary-bg-color": ("#f1f3f5", "#232e3c"),
}
# Pairs that must read (text on background: 4.5; a bar against its track, which has the
# page's colour, and the current page's tab: 3, WCAG 1.4.11).
PAIRS = (
    ("text-color", "bg-color", 4.5),
    ("text-color", "secondary-bg-color", 4.5),
    ("hint-color", "bg-color", 4.5),
    ("hint-color", "secondary-bg-color", 4.5),
    ("link-color", "bg-color", 4.5),
    ("link-color", "secondary-bg-color", 4.5),
    ("button-text-color", "button-color", 4.5),
    ("button-color", "bg-color", 3.0),
)


def luminance(colour: str) -> float:
    """Relative luminance of an sRGB colour such as #0b57d0 (WCAG 2.x)."""
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def css_variables(scheme: int) -> str:
    """`--tg-theme-*` fallbacks for the light (0) or dark (1) scheme."""
    return "".join(f"--fallback-{name}:{pair[scheme]};" for name, pair in PALETTE.items())

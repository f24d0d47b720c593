"""Makes templates/fonts/DejaVuSans.ttf and DejaVuSans-Bold.ttf: DejaVu Sans 2.37 cut to the scripts
customer text is printed in, with the glyphs the documents themselves use first.

    .venv/bin/python tools/subset_fonts.py /usr/share/fonts/truetype/dejavu

(the source folder holds the unmodified DejaVu Sans 2.37 fonts, e.g. Debian's fonts-dejavu-core 2.37-6;
their checksums are in templates/fonts/README.md). The output is byte for byte the same on every run.

Why: WeasyPrint subsets the embedded fonts on every render, keeping every glyph id up to the highest one
used. The full fonts hold ~6,200 glyphs each, and Vietnamese letters and ₫ sit high among them, so every
render cut down 750 KB fonts and embedded and compressed tables for ~2,000 empty glyphs. Cut to ~2,850
glyphs with the documents' own letters first (glyph ids below ~470), a credit note's fonts cost ~3 ms
less per render, and the PDF prints exactly the same.

Kept for customer text: every Latin block (Latin Extended Additional too), combining diacritics, Greek,
Cyrillic, general punctuation, currency symbols, and a few symbol blocks (arrows, maths, letterlike, number
forms, geometric shapes). OpenType layout (kerning, mark positioning) and all name records (the licence
among them) are kept; hinting is dropped, as WeasyPrint drops it from embedded fonts anyway.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.reorderGlyphs import reorderGlyphs

FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
TARGET = Path(__file__).resolve().parents[1] / "templates" / "fonts"

BLOCKS = {
    "Basic Latin": (0x0020, 0x007E),
    "Latin-1 Supplement": (0x00A0, 0x00FF),
    "Latin Extended-A": (0x0100, 0x017F),
    "Latin Extended-B": (0x0180, 0x024F),
    "IPA Extensions": (0x0250, 0x02AF),
    "Spacing Modifier Letters": (0x02B0, 0x02FF),
    "Combining Diacritical Marks": (0x0300, 0x036F),
    "Greek and Coptic": (0x0370, 0x03FF),
    "Cyrillic": (0x0400, 0x04FF),
    "Cyrillic Supplement": (0x0500, 0x052F),
    "Combining Diacritical Marks Extended": (0x1AB0, 0x1AFF),
    "Phonetic Extensions": (0x1D00, 0x1D7F),
    "Phonetic Extensions Supplement": (0x1D80, 0x1DBF),
    "Combining Diacritical Marks Supplement": (0x1DC0, 0x1DFF),
    "Latin Extended Additional": (0x1E00, 0x1EFF),
    "Greek Extended": (0x1F00, 0x1FFF),
    "General Punctuation": (0x2000, 0x206F),
    "Superscripts and Subscripts": (0x2070, 0x209F),
    "Currency Symbols": (0x20A0, 0x20CF),
    "Combining Diacritical Marks for Symbols": (0x20D0, 0x20FF),
    "Letterlike Symbols": (0x2100, 0x214F),
    "Number Forms": (0x2150, 0x218F),
    "Arrows": (0x2190, 0x21FF),
    "Mathematical Operators": (0x2200, 0x22FF),
    "Geometric Shapes": (0x25A0, 0x25FF),  # U+25CC, the dotted circle HarfBuzz puts under a lone mark
    "Latin Extended-C": (0x2C60, 0x2C7F),
    "Cyrillic Extended-A": (0x2DE0, 0x2DFF),
    "Cyrillic Extended-B": (0xA640, 0xA69F),
    "Latin Extended-D": (0xA720, 0xA7FF),
    "Latin Extended-E": (0xAB30, 0xAB6F),
    "Alphabetic Presentation Forms (Latin ligatures)": (0xFB00, 0xFB06),
    "Combining Half Marks": (0xFE20, 0xFE2F),
    "Specials": (0xFFF0, 0xFFFF),
}

# The glyphs of the three locales' documents come first (low glyph ids): ASCII, Latin-1 (Danish),
# Vietnamese (Ă Đ Ĩ Ũ Ơ Ư and Latin Extended Additional's Ạ-ỹ), dashes and quotes, ₫ and €.
FIRST = [(0x0020, 0x007E), (0x00A0, 0x00FF), (0x0100, 0x017F), (0x01A0, 0x01B0), (0x1EA0, 0x1EF9),
         (0x2010, 0x2027), (0x20AB, 0x20AC)]


def make(source: Path, target: Path) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True  # a missing glyph still prints as a box
    options.hinting = False
    options.drop_tables += ["MATH", "FFTM"]  # not used by text shaping
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[cp for low, high in BLOCKS.values() for cp in range(low, high + 1)])
    subsetter.subset(font)

    cmap = font.getBestCmap()
    order = font.getGlyphOrder()
    glyf = font["glyf"]
    for name in order:  # decompile every glyph now: a composite still compiled would name its parts by old ids
        glyf[name].expand(glyf)
    outlines = _outlines(font)
    first = [order[0]]  # .notdef stays glyph 0
    for low, high in FIRST:
        first += [cmap[cp] for cp in range(low, high + 1) if cp in cmap and cmap[cp] not in first]
    for name in list(first):  # then the parts of composite glyphs (ồ is o + ̂ + ̀), where they are
        first += [part for part in glyf[name].getComponentNames(glyf) if part not in first]
    chosen = set(first)
    reorderGlyphs(font, first + [name for name in order if name not in chosen])
    font.save(target)
    if _outlines(TTFont(target)) != outlines:
        raise AssertionError(f"{target}: glyphs changed shape while reordered")


def _outlines(font: TTFont) -> dict:
    """Every character's points (composites resolved), contours and advance, to check that the reordered
    font draws the same."""
    glyf = font["glyf"]
    drawn = {}
    for codepoint, name in font.getBestCmap().items():
        coordinates, ends, flags = glyf[name].getCoordinates(glyf)
        drawn[codepoint] = (list(coordinates), list(ends), bytes(flags), font["hmtx"][name][0])
    return drawn


def main(folder: str) -> None:
    for name in FONTS:
        make(Path(folder) / name, TARGET / name)
        print(TARGET / name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu")

"""Small WordprocessingML helpers python-docx lacks: children in schema order, fonts, borders."""

from __future__ import annotations

from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

# Children of w:pPr, w:rPr, w:tblPr and w:tcPr in the order the schema requires: Word refuses a
# document whose elements are out of order, so each helper inserts at the right place.
_ORDER = {
    "w:pPr": [
        "w:pStyle",
        "w:keepNext",
        "w:keepLines",
        "w:pageBreakBefore",
        "w:framePr",
        "w:widowControl",
        "w:numPr",
        "w:suppressLineNumbers",
        "w:pBdr",
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    ],
    "w:rPr": [
        "w:rStyle",
        "w:rFonts",
        "w:b",
        "w:bCs",
        "w:i",
        "w:iCs",
        "w:caps",
        "w:smallCaps",
        "w:strike",
        "w:dstrike",
        "w:outline",
        "w:shadow",
        "w:emboss",
        "w:imprint",
        "w:noProof",
        "w:snapToGrid",
        "w:vanish",
        "w:webHidden",
        "w:color",
        "w:spacing",
        "w:w",
        "w:kern",
        "w:position",
        "w:sz",
        "w:szCs",
        "w:highlight",
        "w:u",
        "w:effect",
        "w:bdr",
        "w:shd",
        "w:fitText",
        "w:vertAlign",
        "w:rtl",
        "w:cs",
        "w:em",
        "w:lang",
        "w:eastAsianLayout",
        "w:specVanish",
        "w:oMath",
    ],
    "w:tblPr": [
        "w:tblStyle",
        "w:tblpPr",
        "w:tblOverlap",
        "w:bidiVisual",
        "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize",
        "w:tblW",
        "w:jc",
        "w:tblCellSpacing",
        "w:tblInd",
        "w:tblBorders",
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
    ],
    "w:tcPr": [
        "w:cnfStyle",
        "w:tcW",
        "w:gridSpan",
        "w:hMerge",
        "w:vMerge",
        "w:tcBorders",
        "w:shd",
        "w:noWrap",
        "w:tcMar",
        "w:textDirection",
        "w:tcFitText",
        "w:vAlign",
        "w:hideMark",
    ],
    "w:trPr": [
        "w:cnfStyle",
        "w:divId",
        "w:gridBefore",
        "w:gridAfter",
        "w:wBefore",
        "w:wAfter",
        "w:cantSplit",
        "w:trHeight",
        "w:tblHeader",
        "w:tblCellSpacing",
        "w:jc",
        "w:hidden",
    ],
}

RED = "FF0000"
FONT_ATTRS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")


def set_child(parent: Any, tag: str, attrs: dict[str, str] | None = None) -> Any:
    """Replace `parent`'s child `tag` with a new one carrying `attrs`, placed in schema order."""
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    child = OxmlElement(tag)
    for key, value in (attrs or {}).items():
        child.set(qn(key), value)
    order = _ORDER[parent_tag(parent)]
    later = order[order.index(tag) + 1 :] if tag in order else []
    for sibling in parent:
        if prefixed(sibling.tag) in later:
            sibling.addprevious(child)
            return child
    parent.append(child)
    return child


def parent_tag(element: Any) -> str:
    return prefixed(element.tag)


def prefixed(clark: str) -> str:
    """`{ns}pPr` → `w:pPr` (only the w: namespace is ever ordered here)."""
    return "w:" + clark.split("}", 1)[-1]


def get_or_add(parent: Any, tag: str) -> Any:
    found = parent.find(qn(tag))
    return found if found is not None else set_child(parent, tag)


def set_fonts(rpr: Any, name: str) -> None:
    """Name one font for East Asian text (w:eastAsia), Latin, digits and complex scripts."""
    fonts = get_or_add(rpr, "w:rFonts")
    for attr in FONT_ATTRS:
        fonts.set(qn(attr), name)
    fonts.set(qn("w:hint"), "eastAsia")


def border(size_eighths: int, color: str = "000000", space: int = 0) -> dict[str, str]:
    """Attributes of one border line: size in eighths of a point, space in points."""
    return {"w:val": "single", "w:sz": str(size_eighths), "w:space": str(space), "w:color": color}


def set_borders(parent: Any, tag: str, sides: dict[str, dict[str, str]]) -> Any:
    """A w:pBdr / w:tblBorders / w:tcBorders with the given sides (others: none)."""
    box = set_child(parent, tag)
    order = ["top", "left", "bottom", "right", "insideH", "insideV"]
    if tag == "w:pBdr":
        order = ["top", "left", "bottom", "right", "between", "bar"]
    for side in order:
        el = OxmlElement(f"w:{side}")
        attrs = sides.get(side, {"w:val": "nil"})
        for key, value in attrs.items():
            el.set(qn(key), value)
        box.append(el)
    return box

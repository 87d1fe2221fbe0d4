"""xl/styles.xml of a patched workbook: named style name <-> cell format index; formats and
fonts are only ever appended, so every existing index stays valid."""
from __future__ import annotations

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE

from .common import _N, Unsupported


def _canon(el) -> str:
    """A namespace-free text of a style element, to find an equal one."""
    tag = etree.QName(el).localname
    attrs = "".join(f' {k}="{v}"' for k, v in sorted(el.attrib.items()))
    return f"<{tag}{attrs}>" + "".join(_canon(c) for c in el) + f"</{tag}>"


def _xf_key(xf, exact: bool) -> tuple:
    core = tuple(xf.get(k, "0") for k in ("xfId", "numFmtId", "fontId", "fillId", "borderId"))
    return (core, "".join(_canon(c) for c in xf)) if exact else core


def _qualify(el):
    """An element built by openpyxl's to_tree (no namespace) in the main namespace."""
    for node in el.iter():
        if isinstance(node.tag, str) and not node.tag.startswith("{"):
            node.tag = _N + node.tag
    return el


class Styles:
    """xl/styles.xml: named style name <-> cell format index; formats and fonts are only
    ever appended (existing indices stay valid for every cell that uses them)."""

    def __init__(self, xml: bytes):
        self.xml = xml
        self.root = etree.fromstring(xml)
        self.dirty = False
        self.cell_xfs = self._list("cellXfs")
        self.style_xfs = self._list("cellStyleXfs")
        self.named = {s.get("name"): int(s.get("xfId")) for s in self.root.iter(f"{_N}cellStyle")}
        self._name_of = {v: k for k, v in self.named.items()}
        self._index_of: dict[tuple, int] = {}
        self._reprs: dict[int, tuple[object, str]] = {}
        self._attributes: dict[str | None, str] = {}

    def _list(self, tag: str):
        el = self.root.find(f"{_N}{tag}")
        if el is None:
            raise Unsupported(f"styles.xml 没有 {tag}")
        return el

    @property
    def names(self) -> list[str]:
        return list(self.named)

    def name_of(self, index: int | None) -> str:
        xf = self.cell_xfs[index or 0]
        return self._name_of.get(int(xf.get("xfId", 0)), "Normal")

    def index_of(self, name: str, base: int | None = None, font=None, fill=None) -> int:
        """The cell format of named style `name` (or of cell format `base`), with a font
        and fill when given; appended when the file has none equal."""
        key = (name, base, font and self._repr(font), fill and self._repr(fill))
        if key in self._index_of:
            return self._index_of[key]
        if base is not None:
            model = self.cell_xfs[base]
        else:
            if name not in self.named:
                raise Unsupported(f"工作簿没有样式 {name}")
            xf_id = self.named[name]
            model = self.style_xfs[xf_id]
        xf = etree.fromstring(etree.tostring(model))
        if base is None:
            xf.set("xfId", str(self.named[name]))
            for part in ("Font", "Fill", "Border", "NumberFormat", "Alignment", "Protection"):
                xf.set(f"apply{part}", "1")
        if font is not None:
            xf.set("fontId", str(self._component("fonts", _qualify(font.to_tree()))))
            xf.set("applyFont", "1")
        if fill is not None:
            xf.set("fillId", str(self._component("fills", _qualify(fill.to_tree()))))
            xf.set("applyFill", "1")
        self._index_of[key] = index = self._find_or_append(self.cell_xfs, xf, exact=base is not None or font or fill)
        return index

    def _repr(self, value) -> str:
        """repr() of a font or fill, kept by the object (openpyxl's takes ~30 µs; the 问题 rows
        share one fill per 级别). Style objects are values: one is not changed once given to a
        cell. The object is held, so its id cannot name another."""
        known = self._reprs.get(id(value))
        if known is None or known[0] is not value:
            known = self._reprs[id(value)] = (value, repr(value))
        return known[1]

    def _find_or_append(self, parent, el, exact) -> int:
        """The index of an entry equal to `el` (cell formats: same font, fill, border, number
        format, named style, alignment and protection), appended when there is none."""
        if etree.QName(el).localname == "xf":
            want = _xf_key(el, exact)
            found = next((i for i, existing in enumerate(parent) if _xf_key(existing, exact) == want), None)
        else:
            want = _canon(el)
            found = next((i for i, existing in enumerate(parent) if _canon(existing) == want), None)
        if found is not None:
            return found
        parent.append(el)
        parent.set("count", str(len(parent)))
        self.dirty = True
        return len(parent) - 1

    def _component(self, tag: str, el) -> int:
        return self._find_or_append(self._list(tag), el, exact=True)

    def attribute(self, name: str | None) -> str:
        """' s="N"' of named style `name` for a cell's XML ("" for none or the default)."""
        attr = self._attributes.get(name)
        if attr is None:
            index = self.index_of(name) if name else 0
            attr = self._attributes[name] = f' s="{index}"' if index else ""
        return attr

    def _num_fmt(self, code: str) -> int:
        if code in BUILTIN_FORMATS_REVERSE:
            return BUILTIN_FORMATS_REVERSE[code]
        fmts = self.root.find(f"{_N}numFmts")
        if fmts is None:
            fmts = etree.Element(f"{_N}numFmts")
            self.root.insert(0, fmts)
        for f in fmts:
            if f.get("formatCode") == code:
                return int(f.get("numFmtId"))
        new_id = max([163, *(int(f.get("numFmtId")) for f in fmts)]) + 1
        etree.SubElement(fmts, f"{_N}numFmt", numFmtId=str(new_id), formatCode=code)
        fmts.set("count", str(len(fmts)))
        self.dirty = True
        return new_id

    def add_named_style(self, style) -> None:
        """An openpyxl NamedStyle the file lacks (a workbook made by an earlier version)."""
        xf = etree.Element(f"{_N}xf", numFmtId=str(self._num_fmt(style.number_format)),
                           fontId=str(self._component("fonts", _qualify(style.font.to_tree()))),
                           fillId=str(self._component("fills", _qualify(style.fill.to_tree()))),
                           borderId=str(self._component("borders", _qualify(style.border.to_tree()))),
                           applyAlignment="1", applyProtection="1")
        for child in (style.alignment, style.protection):
            tree = child.to_tree()
            if tree is not None:
                xf.append(_qualify(tree))
        self.style_xfs.append(xf)
        self.style_xfs.set("count", str(len(self.style_xfs)))
        styles = self._list("cellStyles")
        etree.SubElement(styles, f"{_N}cellStyle", name=style.name, xfId=str(len(self.style_xfs) - 1))
        styles.set("count", str(len(styles)))
        self.named[style.name] = len(self.style_xfs) - 1
        self._name_of[len(self.style_xfs) - 1] = style.name
        self.dirty = True

    def to_bytes(self) -> bytes:
        if not self.dirty:
            return self.xml
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)



"""The patch engine: every change to an existing workbook goes through it (book.PatchBook);
openpyxl only builds new files. Split by job: scan (reading a sheet's XML), styles, cells
(one cell's XML), shared (shared formula groups), write (a sheet part back), features (filter,
dimensions, validation ranges), sheet (PatchSheet), book (PatchBook), package (workbook.xml,
calcChain, content types), transplant (a sheet built in a scratch workbook moved in)."""
from .book import PatchBook
from .common import SharedChild, Unsupported
from .sheet import PatchCell, PatchSheet
from .styles import Styles

__all__ = ["PatchBook", "PatchCell", "PatchSheet", "SharedChild", "Styles", "Unsupported"]

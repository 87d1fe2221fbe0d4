"""The Excel side: a thin xlwings adapter over the same recalc the file path runs."""

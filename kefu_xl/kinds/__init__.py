"""One module per workbook kind: its declaration and how it is built and recalculated."""

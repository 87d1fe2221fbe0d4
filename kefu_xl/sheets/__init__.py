"""The declaration engine: a workbook kind declares its sheets and columns once;
building, reading back by header text and restoring formulas all read that declaration."""

"""Reading input files (xlsx/csv, encodings, messy values) and writing workbooks safely."""

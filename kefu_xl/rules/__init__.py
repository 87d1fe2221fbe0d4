"""Pure rules over records: no file I/O, shared by the CLI, the ribbon button and tests."""

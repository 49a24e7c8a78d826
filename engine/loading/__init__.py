"""Loading: reading files, recognising tables and column roles, parsing, joining and data quality."""

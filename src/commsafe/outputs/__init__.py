"""Outputs: charts, maps, documents and tables built from measures (they compute no statistics)."""

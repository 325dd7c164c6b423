"""Loaders: read a workbook (Excel or CSV) into records, with every cell's location."""

"""Reporters: one module per output format, registered through ``get_reporters``."""

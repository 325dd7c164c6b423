"""The built-in rules, one module per family (rules.md)."""

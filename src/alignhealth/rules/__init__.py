"""Rules: the base class, the registry, selection, and the core rule families."""

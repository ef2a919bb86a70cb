"""Load and validate: canonical schema, reading, row rules, the :class:`Dataset`."""

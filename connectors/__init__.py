"""Built-in platform connectors: one plugin module per platform."""

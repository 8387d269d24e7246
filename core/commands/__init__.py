"""Built-in commands (each module is one plugin listed in postgen.plugins.DEFAULT_PLUGINS)."""

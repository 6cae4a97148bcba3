"""Default configuration shipped with fanarchive (TOML files beside this module)."""

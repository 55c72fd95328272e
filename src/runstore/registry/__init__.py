"""URL scheme registry and configuration."""

from runstore.registry.backends import known_schemes, register_backend
from runstore.registry.config import StoreConfig, load_config
from runstore.registry.url import StoreURL

__all__ = ["StoreConfig", "StoreURL", "known_schemes", "load_config", "register_backend"]

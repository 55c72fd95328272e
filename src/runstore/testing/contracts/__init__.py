"""Contract mixins, one module per repository or concern. Named ``*Contract`` so pytest
collects them only through a ``Test*`` subclass."""

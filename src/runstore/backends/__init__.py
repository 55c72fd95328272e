"""Storage backends. Core code never imports from here; the registry loads them by name."""

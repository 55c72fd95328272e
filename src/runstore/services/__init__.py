"""Services: logic written only against ports (never against a backend)."""

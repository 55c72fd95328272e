"""Helpers shared by backends: logic every backend would otherwise repeat."""

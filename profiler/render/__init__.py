"""Presenters: turn a Build and its analysis into text, JSON, and later figures."""

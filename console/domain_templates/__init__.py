"""The Templates page."""

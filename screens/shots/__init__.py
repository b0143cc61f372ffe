"""The parts of ``make screenshots`` (screens/screenshots.py): the layout check, the index pages
and the synthetic sitter for the camera."""

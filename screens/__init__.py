"""Kivy screens: render flow views, forward taps. No business rules and no I/O here."""

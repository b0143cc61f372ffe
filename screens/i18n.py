"""The screens' view of the string tables (kept in kiosk.strings, shared with the voice prompts)."""

from kiosk.strings import LANGUAGES, STRINGS_DIR, t, table, template

__all__ = ["LANGUAGES", "STRINGS_DIR", "t", "table", "template"]

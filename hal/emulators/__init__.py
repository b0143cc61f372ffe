"""Protocol-level device emulators for tests (they speak the wire protocol through the real OS stack)."""

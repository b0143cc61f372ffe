"""Receipt printer: ESC/POS over serial or USB."""

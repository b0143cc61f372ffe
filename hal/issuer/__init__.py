"""Card issuer: Evolis card printer over USB, card face rendering."""

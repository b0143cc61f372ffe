"""PIN entry: the ZT588 encrypted pad (secure) and the on-screen fallback (weaker mode)."""

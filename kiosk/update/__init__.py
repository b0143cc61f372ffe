"""Signed software updates: TUF-verified downloads, side-by-side releases, boot-counted rollback.

client.py checks and downloads through python-tuf; releases.py installs and switches releases;
apply.py is the crash-safe switch; boot.py and health.py decide "good" or roll back; remote.py
and status.py connect it to the central. See docs/updates.md.
"""

"""The kiosk application: flows, session, policy, central client, heartbeat, config, CLI."""

__version__ = "0.1.0"

"""The fleet console (operators' web UI and its JSON API) served by the reference central at /console."""

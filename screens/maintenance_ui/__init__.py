"""The technician's maintenance screens (after the hidden-gesture login of screens/maintenance.py).

Named ``maintenance_ui`` because ``screens/maintenance.py`` (the login) already owns the name.
"""

from screens.maintenance_ui.screen import MaintenanceScreen

__all__ = ["MaintenanceScreen"]

"""Hardware-abstraction layer: device interfaces, the status model, drivers, simulators, emulators.

Nothing in this package imports from ``kiosk``, ``screens`` or ``offline_queue``.
"""

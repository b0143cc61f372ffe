"""The technician side of the kiosk: accounts and roles, the maintenance session, self-tests,
consumables, the stock ledger export, queue and log tools, configuration editing."""

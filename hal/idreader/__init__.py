"""Second-generation resident ID card reader: SAM serial protocol, text block, optional WLT plug-in."""

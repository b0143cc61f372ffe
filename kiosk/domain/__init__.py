"""Pure business facts: ID numbers, ethnicity codes, masking, the service catalogue."""

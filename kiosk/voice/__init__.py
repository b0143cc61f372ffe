"""Voice guidance: the prompt catalogue, its ahead-of-time synthesis, and the narrator."""

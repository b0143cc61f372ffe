"""Speaker drivers for the voice prompts (the simulator is hal/sim/audio.py)."""

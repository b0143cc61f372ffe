"""Hypothesis settings shared by tests/hal/test_*_properties.py.

The suite runs few examples per property (together they add a few seconds);
`make bench` (bench/hal_properties_bench.py) runs the same tests with HAL_PROPERTY_EXAMPLES
set much higher and records how many cases ran.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("HAL_PROPERTY_EXAMPLES", "100"))

PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

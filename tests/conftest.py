"""Shared test setup: hypothesis profiles.

`dev` (the default) runs fewer examples for a quick loop; `ci` runs more, and is chosen
when the CI environment variable is set. HYPOTHESIS_PROFILE=<name> overrides both.
No deadline in either: timing belongs to benchmarks/, and a loaded machine must not
turn a correct gradient into a failure.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, max_examples=40)
settings.register_profile(
    "ci", deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_default = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _default)

"""The release repository: signed TUF metadata for kiosk updates, serving it, and staged rollouts.

``kiosk-release`` (cli.py) is the operator's tool; repository.py holds the signing rules,
keys.py the key files, artifact.py the release archive, serve.py the HTTP routes on the
reference central, rollout.py the cohort and failure-threshold logic. See docs/updates.md.
"""

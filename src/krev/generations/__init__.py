"""Generation jobs: records, lifecycle, the runner, its janitor duty and /generations."""

"""Generation jobs: records, lifecycle, the job runner, its janitor duty (the sweep) and /generations."""

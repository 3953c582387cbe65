"""Generation jobs: records, lifecycle, the job runner, the sweeper and /generations."""

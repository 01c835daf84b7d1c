"""The worker side: claim a job, drive the research runner, heartbeat, reap dead jobs."""

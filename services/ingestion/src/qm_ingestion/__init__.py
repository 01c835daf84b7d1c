"""qMachina ingestion service: live sessions, reconnect, checkpoint resume, contract rolls."""

"""qMachina ingestion service: Databento live sessions with reconnect, checkpoint resume, contract rolls"""

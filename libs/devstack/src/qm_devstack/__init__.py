"""qMachina dev stack: embedded Postgres and Valkey, Envoy config rendering and process supervision for make run and tests"""

"""qMachina research harness: signals, honest TP/SL evaluation without look-ahead, sweep runner, results"""

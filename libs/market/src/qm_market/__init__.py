"""qMachina market data: DBN sources, market event envelope, synthetic order flow, instruments"""

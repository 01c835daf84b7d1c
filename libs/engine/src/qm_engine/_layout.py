"""Index constants shared by the numba kernels and their Python wrapper (no numba import)."""

# scalar state slots (int64 array S)
S_BASE = 0  # absolute tick of level index 0
S_ANCHORED = 1
S_BEST_BID = 2  # level index, -1 when empty
S_BEST_ASK = 3
S_NOW = 4  # engine clock: max ts_event of non-snapshot records
S_EVENT_ID = 5
S_SNAP = 6  # snapshot in progress
S_VALID = 7  # book valid (no clear / snapshot pending)
S_AT_LAST = 8  # last applied record carried F_LAST
S_LAST_TS = 9  # ts_event of the last applied record
S_BIN_SEQ = 10
S_BIN_START = 11
S_BIN_END = 12
S_BIN_COUNT = 13
S_END_NS = 14
S_WIDTH = 15
S_PREV_BID_PX = 16
S_PREV_ASK_PX = 17
S_HAS_PREV = 18
S_N_ORDERS = 19
S_LAST_SEQ = 20
S_GAPS = 21
S_BAD_BOOK = 22
S_OUT_OF_RANGE = 23
S_UNKNOWN_ORDER = 24
S_DUP_ORDER = 25
S_UNDEF_PRICE = 26
S_TRADES = 27
S_TRADE_VOLUME = 28
S_RECENTERS = 29
S_RECORDS = 30
S_BINS_ON = 31
S_TICK_INT = 32
S_N = 33
S_RADIUS = 34
S_CAP_MASK = 35
S_CAP_BITS = 36
S_BAD_RECORD = 37
S_FILLS = 38
S_T0 = 39  # physics epoch (ns), a multiple of EPOCH_NS
S_SIZE = 48

COUNTERS = {
    "records": S_RECORDS,
    "sequence_gaps": S_GAPS,
    "maybe_bad_book": S_BAD_BOOK,
    "out_of_range": S_OUT_OF_RANGE,
    "unknown_order": S_UNKNOWN_ORDER,
    "duplicate_order": S_DUP_ORDER,
    "undef_price": S_UNDEF_PRICE,
    "bad_record": S_BAD_RECORD,
    "trades": S_TRADES,
    "trade_volume": S_TRADE_VOLUME,
    "fills": S_FILLS,
    "recenters": S_RECENTERS,
}

# kernel return statuses
ST_DONE = 0  # consumed all records given
ST_OUT_FULL = 1  # output buffer full; call again from the returned index
ST_TABLE_FULL = 2  # order table needs to grow; call again from the returned index
ST_END = 3  # reached end_ns; remaining records are past the dataset window

# physics columns (float64 array phys[n, 18]); channels add, pull, fill, bid_depth, ask_depth
CH_ADD, CH_PULL, CH_FILL, CH_BID, CH_ASK = 0, 1, 2, 3, 4
N_PHYS = 18

# per-bin integer outputs (out_bins[cap, 12])
B_SEQ, B_TS, B_START, B_END, B_COUNT, B_EVENT = 0, 1, 2, 3, 4, 5
B_BID_PX, B_ASK_PX, B_SPOT_PX, B_CENTER_PX, B_SPREAD, B_VALID = 6, 7, 8, 9, 10, 11
N_BIN_COLS = 12
N_LABELS = 7
N_SILVER_F = 24  # float silver columns in fields.SILVER_FIELDS order (after k, price_int)

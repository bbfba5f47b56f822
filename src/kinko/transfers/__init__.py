"""振込・振替: payees, limits, fees, value dates, execution, cancellation and recall (XFER-1..7)."""

"""Time deposits (定期預金, TD-1): open, mature, cancel early."""

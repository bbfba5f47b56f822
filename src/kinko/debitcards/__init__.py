"""Debit card service (DEB-1): register, cancel, inquire."""

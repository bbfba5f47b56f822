"""Bulk transfer 総合振込 (BULK-1) and payroll/bonus transfer 給与・賞与振込 (PAYR-1): requests
built by form, Zengin file or CSV, approved (APR-1, AUTH-12), executed on the value date."""

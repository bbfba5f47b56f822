"""Pay-easy bill payment (PAY-1, 002 第5条3)."""

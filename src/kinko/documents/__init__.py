"""Documents Kinko prints or delivers: PDFs with a Japanese font."""

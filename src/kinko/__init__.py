"""Kinko: internet and mobile banking for Japanese banks."""

__version__ = "0.1.0"

"""Functional loss ops (in progress): forward and backward side by side."""

__all__ = []

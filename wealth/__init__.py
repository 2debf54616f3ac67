"""Savings and investment products: the money-market fund, suitability, holdings."""

"""Campaigns, vouchers, points, referrals and reward settlement."""

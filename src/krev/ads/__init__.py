"""Ads: ``POST /api/v1/ads`` (ad images with their copy, in one of the ad styles) and
``GET /api/v1/ads/styles``."""

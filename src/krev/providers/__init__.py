"""The provider layer: which backend serves each capability, built from the settings."""

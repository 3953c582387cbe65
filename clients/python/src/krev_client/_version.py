"""The client's version, which is the server's: one release speaks one version of the API."""

__version__ = "0.1.0"
API_VERSION = "v1"

"""Async chat: conversations, agent runs over the creative tools, polled to completion."""

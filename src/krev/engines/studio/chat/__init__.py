"""The embedded chat agent's own rules: what it reads in a chat message before any planner does.

``meta`` refuses, at the intake of ``POST /api/v1/chat``, a message that asks Krev to change
something on Meta (launch, pause, budgets, bids, targeting, schedules, ad accounts): the chat
API works with products, credits, images, videos, ad creative and ad-library research only.
"""

from krev.engines.studio.chat.meta import MetaMutation, meta_mutation, refusal_message

__all__ = ["MetaMutation", "meta_mutation", "refusal_message"]

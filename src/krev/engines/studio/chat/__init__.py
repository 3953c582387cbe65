"""The embedded chat agent (``KREV_CHAT_ENGINE=studio``): a message read without a model into a
plan of tool calls (``planner.StudioPlanner``), concepts' image ideas that the chat domain's
``write_concepts`` shares with it (``ideas``), and the reply written from what the calls
returned (``reply``).

``meta`` refuses, at the intake of ``POST /api/v1/chat``, a message that asks Krev to change
something on Meta (launch, pause, budgets, bids, targeting, schedules, ad accounts): the chat
API works with products, credits, images, videos, ad creative and ad-library research only.
"""
